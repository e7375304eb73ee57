import { describe, expect, it } from 'vitest';

import { auditCsvHeader, auditCsvLine, auditNdjsonLine } from './audit-export.format.js';
import { AuditLogEntryView } from './audit-log.rows.js';

function entry(overrides: Partial<AuditLogEntryView> = {}): AuditLogEntryView {
  return {
    seq: '42',
    eventId: '4f1c1d3e-7c43-4a55-9d0e-6a3c0f6c1a11',
    type: 'consent.revoked',
    occurredAt: '2026-11-20T09:30:00.000Z',
    recordedAt: '2026-11-20T09:30:00.120Z',
    clientId: 'sandbox-tpp',
    psuId: '0f0e9c7a-1d5b-4c1e-8b7e-2f3a4b5c6d7e',
    consentId: 'aac-1',
    event: { actor: { type: 'psu', id: '0f0e9c7a-1d5b-4c1e-8b7e-2f3a4b5c6d7e' }, interactionId: 'i-1', data: { from: 'AUTH', to: 'CANC', reason: 'Revoked, by "the" PSU' } },
    prevHash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
    ...overrides,
  };
}

describe('audit export formats', () => {
  it('writes one RFC 4180 CSV line per entry, quoting cells with commas and quotes', () => {
    expect(auditCsvHeader()).toBe('seq,event_id,type,occurred_at,recorded_at,actor_type,actor_id,client_id,psu_id,consent_id,interaction_id,data,prev_hash,hash\r\n');
    const line = auditCsvLine(entry());
    expect(line.endsWith('\r\n')).toBe(true);
    expect(line).toContain(',consent.revoked,2026-11-20T09:30:00.000Z,');
    expect(line).toContain(',psu,0f0e9c7a-1d5b-4c1e-8b7e-2f3a4b5c6d7e,sandbox-tpp,');
    expect(line).toContain('"{""from"":""AUTH"",""to"":""CANC"",""reason"":""Revoked, by \\""the\\"" PSU""}"');
  });

  it('defuses a cell a spreadsheet would run as a formula', () => {
    const line = auditCsvLine(entry({ clientId: '=HYPERLINK("http://evil")' }));
    expect(line).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(auditCsvLine(entry({ clientId: '-1+2' }))).toContain(",'-1+2,");
  });

  it('writes NDJSON with the event exactly as hashed', () => {
    const line = auditNdjsonLine(entry());
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual(entry());
  });
});
