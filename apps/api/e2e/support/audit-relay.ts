import { AuditEvent, linkAuditEntries } from '@consentry/audit';
import { DataSource } from '@consentry/database';

/**
 * Does in a test what the worker's relay does: chains the outbox's pending events into audit_log, so the
 * admin API has a log to read without the worker running.
 */
export async function relayOutboxToLog(dataSource: DataSource): Promise<number> {
  const pending: Array<{ event_id: string; event: AuditEvent }> = await dataSource.query(
    `SELECT event_id, event FROM audit_outbox WHERE relayed_at IS NULL ORDER BY created_seq`,
  );
  if (pending.length === 0) return 0;
  const [head] = await dataSource.query(`SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`);
  const entries = linkAuditEntries(head ? { seq: BigInt(head.seq), hash: head.hash } : null, pending.map((p) => p.event));
  for (const entry of entries) {
    await dataSource.query(
      `INSERT INTO audit_log (seq, event_id, event_type, occurred_at, recorded_at, client_id, psu_id, consent_id, event, prev_hash, hash)
       VALUES ($1, $2, $3, $4, now(), $5, $6, $7, $8, $9, $10)`,
      [
        entry.seq.toString(),
        entry.eventId,
        entry.type,
        entry.occurredAt,
        entry.event.clientId ?? null,
        entry.event.psuId ?? null,
        entry.event.consentId ?? null,
        JSON.stringify(entry.event),
        entry.prevHash,
        entry.hash,
      ],
    );
  }
  await dataSource.query(`UPDATE audit_outbox SET relayed_at = now() WHERE event_id = ANY($1::uuid[])`, [pending.map((p) => p.event_id)]);
  return entries.length;
}
