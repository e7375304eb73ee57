import { ndjsonLine } from '@consentry/audit';

import { AuditLogEntryView } from './audit-log.rows.js';

export type AuditExportFormat = 'csv' | 'ndjson';

export const AUDIT_EXPORT_FORMATS: readonly AuditExportFormat[] = ['csv', 'ndjson'];

export const AUDIT_EXPORT_CONTENT_TYPES: Record<AuditExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

export const AUDIT_CSV_COLUMNS = [
  'seq',
  'event_id',
  'type',
  'occurred_at',
  'recorded_at',
  'actor_type',
  'actor_id',
  'client_id',
  'psu_id',
  'consent_id',
  'interaction_id',
  'data',
  'prev_hash',
  'hash',
] as const;

// OWASP CSV injection: a cell a spreadsheet would read as a formula is prefixed with a quote. No value
// of ours starts so (ids, ISO instants, hex hashes, JSON objects), so nothing genuine is changed.
const FORMULA_START = /^[=+\-@\t\r]/;

function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** RFC 4180: CRLF line ends, quoted cells where needed. */
export function auditCsvHeader(): string {
  return `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
}

export function auditCsvLine(entry: AuditLogEntryView): string {
  const actor = (entry.event.actor ?? {}) as { type?: unknown; id?: unknown };
  const cells = [
    entry.seq,
    entry.eventId,
    entry.type,
    entry.occurredAt,
    entry.recordedAt,
    text(actor.type),
    text(actor.id),
    entry.clientId,
    entry.psuId,
    entry.consentId,
    text(entry.event.interactionId),
    JSON.stringify(entry.event.data ?? {}),
    entry.prevHash,
    entry.hash,
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * One JSON object per line with the event exactly as it was hashed, so the chain can be recomputed
 * from the export alone (`computeAuditEntryHash` of @consentry/audit).
 */
export function auditNdjsonLine(entry: AuditLogEntryView): string {
  return ndjsonLine(entry);
}
