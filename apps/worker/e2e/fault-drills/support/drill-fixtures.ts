import { AuditEvent, recordAuditEvents, verifyAuditChain } from '@consentry/audit';
import { DataSource } from '@consentry/database';
import { expect, vi } from 'vitest';

export const DRILL_WAIT = { timeout: 45_000, interval: 100 };

/**
 * The audit pipeline's timings in a drill: batches of 50 every 20 ms, a dead worker's batch back as stalled
 * within about two seconds, unchained events swept again after three, failed batches retried within five
 * of the database coming back (the drill's wait is for correctness, not for the production caps).
 */
export const DRILL_AUDIT_ENV: Readonly<Record<string, string>> = {
  AUDIT_RELAY_INTERVAL_MS: '20',
  AUDIT_BATCH_SIZE: '50',
  AUDIT_JOB_LOCK_MS: '2000',
  AUDIT_RESWEEP_GRACE_MS: '3000',
  AUDIT_RESWEEP_INTERVAL_MS: '500',
  AUDIT_RETRY_MAX_DELAY_MS: '5000',
  AUDIT_CHECKPOINT_INTERVAL_MS: '0',
  CONSENT_EXPIRY_INTERVAL_MS: '3600000',
};

/**
 * Records `count` audited actions, `perTransaction` events per committed transaction, as the API does;
 * returns the events, which are exactly what the log must end up holding.
 */
export async function recordActions(dataSource: DataSource, count: number, perTransaction = 10, label = 'drill'): Promise<AuditEvent[]> {
  const recorded: AuditEvent[] = [];
  for (let i = 0; i < count; i += perTransaction) {
    const size = Math.min(perTransaction, count - i);
    const events = await dataSource.transaction((manager) =>
      recordAuditEvents(
        manager,
        Array.from({ length: size }, (_, k) => ({
          type: 'data.accessed' as const,
          actor: { type: 'tpp' as const, id: 'tpp-drill' },
          clientId: 'tpp-drill',
          consentId: `aac-${label}-${i + k}`,
          data: { resource: 'accounts', n: i + k },
        })),
      ),
    );
    recorded.push(...events);
  }
  return recorded;
}

export async function chainedCount(dataSource: DataSource): Promise<number> {
  const [row] = await dataSource.query(`SELECT count(*)::int AS n FROM audit_log`);
  return row.n;
}

/** Waits until the log holds `expected.length` entries, then checks the drill's invariants exactly. */
export async function expectExactlyChained(dataSource: DataSource, expected: readonly AuditEvent[]): Promise<void> {
  await vi.waitFor(async () => expect(await chainedCount(dataSource)).toBe(expected.length), DRILL_WAIT);
  const [stats] = await dataSource.query(
    `SELECT count(*)::int AS entries, count(DISTINCT event_id)::int AS distinct_events,
            min(seq)::int AS first, max(seq)::int AS last FROM audit_log`,
  );
  expect(stats).toEqual({ entries: expected.length, distinct_events: expected.length, first: 1, last: expected.length });
  const ids: { event_id: string }[] = await dataSource.query(`SELECT event_id FROM audit_log`);
  expect(new Set(ids.map((row) => row.event_id))).toEqual(new Set(expected.map((event) => event.eventId)));
  await expect(verifyAuditChain(dataSource, { batchSize: 5_000 })).resolves.toMatchObject({ ok: true, entries: expected.length });
  // Chained rows leave the outbox in the chain writer's transaction.
  const [outbox] = await dataSource.query(`SELECT count(*)::int AS n FROM audit_outbox`);
  expect(outbox.n).toBe(0);
}
