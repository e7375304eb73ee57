import { AUDIT_EVENT_TYPES, AuditEventType } from '@consentry/audit';

/** What an admin searches or exports the audit log by; every field narrows, none is required. */
export interface AuditFilter {
  type?: AuditEventType;
  /** The TPP's client id. */
  clientId?: string;
  psuId?: string;
  consentId?: string;
  /** Inclusive bounds on when the act happened (`occurred_at`). */
  from?: Date;
  to?: Date;
}

export function isAuditEventType(value: unknown): value is AuditEventType {
  return typeof value === 'string' && (AUDIT_EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * The filter as SQL conditions over `audit_log`, numbered from `$<firstParam>`. Each of the type, TPP,
 * PSU and consent conditions has an index that goes on with `seq` (migration 1765920000000), so a page
 * newest first under it is one range read; the instants narrow what that read finds.
 */
export function auditFilterSql(filter: AuditFilter, firstParam = 1): { conditions: string[]; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    conditions.push(sql.replace('?', `$${firstParam + params.length - 1}`));
  };
  if (filter.type) add('event_type = ?', filter.type);
  if (filter.clientId) add('client_id = ?', filter.clientId);
  if (filter.psuId) add('psu_id = ?', filter.psuId);
  if (filter.consentId) add('consent_id = ?', filter.consentId);
  if (filter.from) add('occurred_at >= ?', filter.from);
  if (filter.to) add('occurred_at <= ?', filter.to);
  return { conditions, params };
}

/** The filter as plain data for an audit event or a query string (instants as ISO 8601). */
export function describeAuditFilter(filter: AuditFilter): Record<string, string> {
  const out: Record<string, string> = {};
  if (filter.type) out.type = filter.type;
  if (filter.clientId) out.clientId = filter.clientId;
  if (filter.psuId) out.psuId = filter.psuId;
  if (filter.consentId) out.consentId = filter.consentId;
  if (filter.from) out.from = filter.from.toISOString();
  if (filter.to) out.to = filter.to.toISOString();
  return out;
}
