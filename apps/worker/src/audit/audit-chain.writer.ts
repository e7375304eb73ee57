import { AuditEvent, linkAuditEntries } from '@consentry/audit';
import { AuditLogEntity, AuditOutboxEntity, DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';

/**
 * Key of the PostgreSQL advisory lock that makes the chain writer a single writer across every worker
 * process: reading the head and appending after it must not interleave, or two entries would share a
 * seq or a prev_hash. An arbitrary constant; it only has to be unique within the database.
 */
export const AUDIT_CHAIN_LOCK_KEY = '7346290148713310001';

export interface ChainBatchResult {
  /** Entries appended by this batch. */
  chained: number;
  /** Events skipped because they were already in the log (or twice in the batch). */
  duplicates: number;
  /** Seqs of the first and last appended entry (decimal strings), or null when nothing was appended. */
  firstSeq: string | null;
  lastSeq: string | null;
}

interface HeadRow {
  seq: string;
  hash: string;
}

/** Appends audit events to the hash-chained log, idempotently on event id, in one transaction per batch. */
@Injectable()
export class AuditChainWriter {
  constructor(private readonly dataSource: DataSource) {}

  async append(events: readonly AuditEvent[]): Promise<ChainBatchResult> {
    const table = this.dataSource.getMetadata(AuditLogEntity).tableName;
    const outbox = this.dataSource.getMetadata(AuditOutboxEntity).tableName;
    return this.dataSource.transaction(async (manager) => {
      // Held until commit or rollback; a second writer waits here, then sees the first one's entries.
      await manager.query('SELECT pg_advisory_xact_lock($1::bigint)', [AUDIT_CHAIN_LOCK_KEY]);

      const unique = new Map<string, AuditEvent>();
      for (const event of events) {
        const id = event.eventId.toLowerCase();
        if (!unique.has(id)) unique.set(id, event);
      }
      const present: { event_id: string }[] = await manager.query(
        `SELECT event_id FROM ${table} WHERE event_id = ANY($1::uuid[])`,
        [[...unique.keys()]],
      );
      // Chained (now or before) means done: the outbox row goes in the same transaction, so a relayed
      // row that is still there after a grace period is one whose job was lost (see AuditOutboxSweeper).
      await manager.query(`DELETE FROM ${outbox} WHERE event_id = ANY($1::uuid[])`, [[...unique.keys()]]);
      for (const row of present) unique.delete(row.event_id);
      const fresh = [...unique.values()];
      const duplicates = events.length - fresh.length;
      if (fresh.length === 0) return { chained: 0, duplicates, firstSeq: null, lastSeq: null };

      const [head]: HeadRow[] = await manager.query(`SELECT seq, hash FROM ${table} ORDER BY seq DESC LIMIT 1`);
      const entries = linkAuditEntries(head ? { seq: BigInt(head.seq), hash: head.hash } : null, fresh);
      // One statement for the whole batch: a round trip per entry would bound throughput by latency.
      await manager.query(
        `INSERT INTO ${table}
           (seq, event_id, event_type, occurred_at, recorded_at, client_id, psu_id, consent_id, event, prev_hash, hash)
         SELECT e.seq, e.event_id, e.event_type, e.occurred_at, now(), e.client_id, e.psu_id, e.consent_id, e.event, e.prev_hash, e.hash
         FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
                     $8::jsonb[], $9::text[], $10::text[])
           AS e(seq, event_id, event_type, occurred_at, client_id, psu_id, consent_id, event, prev_hash, hash)`,
        [
          entries.map((e) => e.seq.toString()),
          entries.map((e) => e.eventId),
          entries.map((e) => e.type),
          entries.map((e) => e.occurredAt),
          entries.map((e) => e.event.clientId ?? null),
          entries.map((e) => e.event.psuId ?? null),
          entries.map((e) => e.event.consentId ?? null),
          entries.map((e) => JSON.stringify(e.event)),
          entries.map((e) => e.prevHash),
          entries.map((e) => e.hash),
        ],
      );
      return {
        chained: entries.length,
        duplicates,
        firstSeq: entries[0]!.seq.toString(),
        lastSeq: entries[entries.length - 1]!.seq.toString(),
      };
    });
  }
}
