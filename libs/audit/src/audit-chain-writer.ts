import { AuditLogEntity, AuditOutboxEntity, DataSource, EntityManager } from '@consentry/database';

import { linkPreparedAuditEntries, prepareAuditEntries, PreparedAuditEntry } from './audit-chain.js';
import { traceChainWrite, TracedAuditEvent } from './audit-chain-tracing.js';
import { AuditEvent } from './audit-event.js';

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

/** A batch read from the outbox and hashed as far as it can be without its place in the chain. */
interface PreparedBatch {
  ids: string[];
  /** Events the job named, duplicates included, for the result's count. */
  delivered: number;
  entries: PreparedAuditEntry[];
  /** The events with the trace context of the request that recorded each (null when untraced). */
  traced: TracedAuditEvent[];
}

interface HeadRow {
  seq: string;
  hash: string;
}

function uniqueIds(eventIds: readonly string[]): string[] {
  return [...new Set(eventIds.map((id) => id.toLowerCase()))];
}

/**
 * Appends audit events to the hash-chained log, idempotently on event id, in one transaction per batch.
 * Every event is chained from its outbox row, which leaves the outbox in the same statement that writes
 * its entry: the event's jsonb is copied inside PostgreSQL, never sent back, and a row still in the
 * outbox is one the log does not hold yet (rows an older version left behind aside, which are checked).
 *
 * Work is split around the chain lock: reading a batch and writing its events' canonical JSON (most of
 * the CPU) happens before, so it overlaps the commit of the batch ahead; numbering, the hashes proper
 * and the insert happen under it. Within a process batches commit one at a time, in the order they came.
 */
export class AuditChainWriter {
  // Settles when the last batch handed to this writer has committed or failed.
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  /** Chains the outbox rows of `eventIds` (a relayed batch), in that order; ids no longer there were chained before. */
  appendFromOutbox(eventIds: readonly string[]): Promise<ChainBatchResult> {
    const ids = uniqueIds(eventIds);
    // Started now, while the batch ahead may still be committing; no lock, since outbox events never
    // change and the commit checks under the lock which of them are still there to chain.
    const prepared = this.prepare(this.dataSource.manager, ids, eventIds.length);
    // Awaited only when the batch's turn comes: a read that fails before then (PostgreSQL restarting
    // under a backlog) must not be an unhandled rejection meanwhile, which ends the process. The await
    // below still throws it to this batch's caller.
    prepared.catch(() => undefined);
    return this.inTurn(async () => {
      const batch = await prepared;
      return traceChainWrite(batch.traced, () => this.dataSource.transaction((manager) => this.commit(manager, batch)));
    });
  }

  /**
   * Chains events carried whole by a job (as relays of earlier releases sent them, or a batch re-added
   * by hand): they are put back in the outbox, unless still there, and chained from it like any batch.
   */
  append(events: readonly AuditEvent[]): Promise<ChainBatchResult> {
    const ids = uniqueIds(events.map((event) => event.eventId));
    return this.inTurn(() =>
      this.dataSource.transaction(async (manager) => {
        await manager.query(
          `INSERT INTO ${this.outboxTable} (event_id, event)
           SELECT (e->>'eventId')::uuid, e FROM jsonb_array_elements($1::jsonb) AS e ON CONFLICT (event_id) DO NOTHING`,
          [JSON.stringify(events)],
        );
        return this.commit(manager, await this.prepare(manager, ids, events.length));
      }),
    );
  }

  private get outboxTable(): string {
    return this.dataSource.getMetadata(AuditOutboxEntity).tableName;
  }

  private get logTable(): string {
    return this.dataSource.getMetadata(AuditLogEntity).tableName;
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async prepare(manager: EntityManager, ids: string[], delivered: number): Promise<PreparedBatch> {
    const rows: { event: AuditEvent; traceparent: string | null }[] = await manager.query(
      `SELECT o.event, o.traceparent FROM unnest($1::uuid[]) WITH ORDINALITY AS b(event_id, position)
       JOIN ${this.outboxTable} o ON o.event_id = b.event_id
       ORDER BY b.position`,
      [ids],
    );
    return {
      ids,
      delivered,
      entries: prepareAuditEntries(rows.map((row) => row.event)),
      traced: rows.map((row) => ({ eventId: row.event.eventId, type: row.event.type, traceparent: row.traceparent })),
    };
  }

  private async commit(manager: EntityManager, batch: PreparedBatch): Promise<ChainBatchResult> {
    const table = this.logTable;
    const outbox = this.outboxTable;
    // Held until commit or rollback; a second writer waits here, then sees the first one's entries.
    await manager.query('SELECT pg_advisory_xact_lock($1::bigint)', [AUDIT_CHAIN_LOCK_KEY]);
    // Which rows are still to chain, now that no other writer can take them: another process may have
    // chained the same batch meanwhile (a stalled job run twice), and an older version left chained
    // rows in the outbox. `chained` is a scalar subquery, probed on audit_log_event_key per row: an
    // EXISTS the planner may turn into hashing the whole log, once per batch.
    const rows: { event_id: string; chained: true | null }[] = await manager.query(
      `SELECT o.event_id, (SELECT true FROM ${table} l WHERE l.event_id = o.event_id) AS chained
       FROM ${outbox} o WHERE o.event_id = ANY($1::uuid[])`,
      [batch.ids],
    );
    const open = new Set(rows.filter((row) => !row.chained).map((row) => row.event_id));
    const fresh = batch.entries.filter((entry) => open.has(entry.eventId.toLowerCase()));
    // Only rows this batch read and chains, or finds chained, leave the outbox.
    const done = [...rows.filter((row) => row.chained).map((row) => row.event_id), ...fresh.map((entry) => entry.eventId)];
    const duplicates = batch.delivered - fresh.length;
    if (fresh.length === 0) {
      await manager.query(`DELETE FROM ${outbox} WHERE event_id = ANY($1::uuid[])`, [done]);
      return { chained: 0, duplicates, firstSeq: null, lastSeq: null };
    }

    const [head]: HeadRow[] = await manager.query(`SELECT seq, hash FROM ${table} ORDER BY seq DESC LIMIT 1`);
    const entries = linkPreparedAuditEntries(head ? { seq: BigInt(head.seq), hash: head.hash } : null, fresh);
    // One statement for the whole batch: the outbox rows go, and the fresh ones come back as entries
    // with the event's jsonb copied as stored and the columns hashed with it sent alongside, as one
    // JSON document (JSON.stringify is native; node-pg escapes array elements one by one).
    const columns = entries.map((e) => ({
      seq: e.seq.toString(),
      event_id: e.eventId,
      event_type: e.type,
      occurred_at: e.occurredAt,
      client_id: e.event.clientId ?? null,
      psu_id: e.event.psuId ?? null,
      consent_id: e.event.consentId ?? null,
      prev_hash: e.prevHash,
      hash: e.hash,
    }));
    const [{ appended }]: { appended: number }[] = await manager.query(
      `WITH moved AS (DELETE FROM ${outbox} WHERE event_id = ANY($1::uuid[]) RETURNING event_id, event),
       appended AS (
         INSERT INTO ${table}
           (seq, event_id, event_type, occurred_at, recorded_at, client_id, psu_id, consent_id, event, prev_hash, hash)
         SELECT e.seq, e.event_id, e.event_type, e.occurred_at, now(), e.client_id, e.psu_id, e.consent_id, m.event, e.prev_hash, e.hash
         FROM json_to_recordset($2::json) AS e(seq bigint, event_id uuid, event_type text, occurred_at timestamptz,
                                               client_id text, psu_id text, consent_id text, prev_hash text, hash text)
         JOIN moved m ON m.event_id = e.event_id
         RETURNING 1)
       SELECT count(*)::int AS appended FROM appended`,
      [done, JSON.stringify(columns)],
    );
    // The lock holder is the only one to delete rows it has not chained, so none can have gone since
    // the check above; if one ever did, a gap in seq must not be committed.
    if (appended !== entries.length) throw new Error(`chained ${appended} of ${entries.length} events: batch rolled back`);
    return {
      chained: entries.length,
      duplicates,
      firstSeq: entries[0]!.seq.toString(),
      lastSeq: entries[entries.length - 1]!.seq.toString(),
    };
  }
}
