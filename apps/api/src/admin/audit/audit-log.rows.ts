import { AuditLogEntity, DataSource } from '@consentry/database';

/** An entry of the chained audit log as the admin console and its exports show it. */
export interface AuditLogEntryView {
  seq: string;
  eventId: string;
  type: string;
  occurredAt: string;
  recordedAt: string;
  clientId: string | null;
  psuId: string | null;
  consentId: string | null;
  /** The redacted event exactly as it was hashed. */
  event: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditLogRow {
  seq: string;
  event_id: string;
  event_type: string;
  occurred_at: Date;
  recorded_at: Date;
  client_id: string | null;
  psu_id: string | null;
  consent_id: string | null;
  event: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export const AUDIT_LOG_COLUMNS = 'seq, event_id, event_type, occurred_at, recorded_at, client_id, psu_id, consent_id, event, prev_hash, hash';

export function auditLogTable(dataSource: DataSource): string {
  return dataSource.getMetadata(AuditLogEntity).tableName;
}

export function toEntryView(row: AuditLogRow): AuditLogEntryView {
  return {
    seq: String(row.seq),
    eventId: row.event_id,
    type: row.event_type,
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    clientId: row.client_id,
    psuId: row.psu_id,
    consentId: row.consent_id,
    event: row.event,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
