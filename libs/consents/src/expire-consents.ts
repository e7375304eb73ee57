import { randomBytes } from 'node:crypto';

import { AuditEventInput, recordAuditEvents } from '@consentry/audit';
import { AccountAccessConsentEntity, ConsentStatus, DataSource, OidcModelEntity } from '@consentry/database';

import { assertTransition, awaitingCutoff, statusesThatMayBecome } from './consent-status.js';

/**
 * Advisory lock key of the expiry sweep: however many workers run, one sweep at a time. A session lock,
 * so a worker that dies mid-sweep releases it with its connection.
 */
export const CONSENT_EXPIRY_LOCK_KEY = '7346290148713310002';

export interface ExpireConsentsOptions {
  /** The sweep's notion of now; default the clock. */
  now?: Date;
  /** Consents still AWAU this long after creation are expired too. */
  awaitingMaxAgeSeconds: number;
  /** Consents per transaction. Default 50,000. */
  batchSize?: number;
  /**
   * Batches in flight at once, each on a connection of its own taken from the pool for the whole sweep
   * (so at most the pool's size). Default 2: PostgreSQL runs each statement on one core.
   */
  concurrency?: number;
}

export interface ExpireConsentsResult {
  /** Another process holds the sweep lock; this call did nothing. */
  skipped: boolean;
  /** Live consents past their ExpirationDateTime, now EXPD. */
  pastExpiration: number;
  /** AWAU consents older than the allowed age, now EXPD. */
  awaitingTooLong: number;
  /** oidc-provider rows (grants, tokens, codes) deleted with them. */
  revokedTokens: number;
  /** consent.expired events written to the outbox (one per expired consent). */
  auditEvents: number;
  batches: number;
}

type DueReason = 'pastExpiration' | 'awaitingTooLong';

const EXPIRED: ConsentStatus = 'EXPD';
/** The live statuses the state machine lets become EXPD (AWAU, AUTH). */
const EXPIRABLE = statusesThatMayBecome(EXPIRED);
/** An AWAU consent not authorised in time: only the awaiting status can be too old to be authorised. */
const AWAITING: ConsentStatus = 'AWAU';
assertTransition(AWAITING, EXPIRED);

const sqlStatusList = (statuses: readonly ConsentStatus[]) => statuses.map((status) => `'${status}'`).join(', ');

// The predicate of each reason matches a partial index of the 1764200000000 migration exactly, so the
// planner scans only live consents; LIMIT bounds the batch and makes the estimate the batch size, which
// keeps the join to the consent table on primary-key lookups. The statuses come from the state machine:
// a change there that the index does not follow costs speed, never correctness.
const DUE: Record<DueReason, { where: string; description: string }> = {
  pastExpiration: {
    where: `status IN (${sqlStatusList(EXPIRABLE)}) AND expiration_date_time IS NOT NULL AND expiration_date_time <= $1`,
    description: 'Expired: ExpirationDateTime has passed',
  },
  awaitingTooLong: {
    where: `status = '${AWAITING}' AND creation_date_time <= $1`,
    description: 'Expired: not authorised in time',
  },
};

/** A consent the batch expired, as its statement returns it. */
interface ExpiredConsentRow {
  consent_id: string;
  client_id: string;
  psu_id: string | null;
  from_status: ConsentStatus;
  revoked_tokens: number;
  /** Tokens the whole batch deleted (the same on every row). */
  batch_tokens: number;
}

interface BatchCounts {
  expired: number;
  tokens: number;
  audited: number;
}

/** The consent.expired event of one consent, as buildAuditEvent takes it. */
function consentExpiredEvent(
  row: Pick<ExpiredConsentRow, 'consent_id' | 'client_id' | 'psu_id' | 'from_status' | 'revoked_tokens'>,
  reason: DueReason,
  now: Date,
  eventId?: string,
): AuditEventInput {
  return {
    ...(eventId === undefined ? {} : { eventId }),
    type: 'consent.expired',
    occurredAt: now,
    actor: { type: 'system', id: 'consent-expiry' },
    clientId: row.client_id,
    ...(row.psu_id === null ? {} : { psuId: row.psu_id }),
    consentId: row.consent_id,
    data: { from: row.from_status, to: EXPIRED, reason: DUE[reason].description, revokedGrantRecords: row.revoked_tokens },
  };
}

/**
 * The first 24 hex digits of a batch's event ids: a UUIDv7 (RFC 9562 section 5.7) whose last 32 bits
 * are a counter (section 6.2, method 1). Its time and 42 random bits set the batch apart; within the
 * batch the ids ascend, so the outbox's primary key grows at its right edge.
 */
function eventIdPrefix(): string {
  const time = Date.now().toString(16).padStart(12, '0');
  const random = randomBytes(6);
  const hex = random.toString('hex');
  const variant = (0x8 | (random[5]! & 0x3)).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${hex.slice(0, 3)}-${variant}${hex.slice(3, 6)}-${hex.slice(6, 10)}`;
}

function batchSql(reason: DueReason, tables: { consent: string; oidc: string }): string {
  const { consent, oidc } = tables;
  // Every step reaches its rows by index or TID probes sized by the batch, never by a join the planner
  // could turn into a hash of a whole table (UPDATE ... FROM due, DELETE ... USING expired did: 3.4 s of
  // an 8.3 s batch of 100k): each one takes the batch as an array (= ANY). Joins stay between the
  // batch's own CTEs. Measured steps and the reasoning: docs/consent-expiry.md.
  return `
    WITH due AS (
      SELECT ctid AS row_id, consent_id, status FROM ${consent}
      WHERE ${DUE[reason].where}
      LIMIT $2 FOR UPDATE SKIP LOCKED
    ), expired AS (
      -- By TID: the rows are locked, so their versions cannot move, and a TID scan skips the primary-key
      -- descent per consent. A version another transaction wrote after this statement began is not
      -- visible here and waits for the next sweep.
      UPDATE ${consent} c
         SET status = '${EXPIRED}', status_update_date_time = $3, status_reason_description = $4
       WHERE c.ctid = ANY (ARRAY(SELECT row_id FROM due)) AND c.status IN (${sqlStatusList(EXPIRABLE)})
      RETURNING c.consent_id, c.client_id, c.psu_id, c.grant_id
    ), revoked AS (
      -- A grant's tokens and codes carry its id in grant_id and the Grant row is that id: one probe of
      -- oidc_model_grant_family_idx per grant finds them all (migration 1764500000000).
      DELETE FROM ${oidc} m
       WHERE (m.grant_id IS NOT NULL OR m.model = 'Grant')
         AND coalesce(m.grant_id, m.id) = ANY (ARRAY(SELECT grant_id FROM expired WHERE grant_id IS NOT NULL))
      RETURNING coalesce(m.grant_id, m.id) AS grant_id
    ), revoked_per_grant AS (
      SELECT grant_id, count(*)::int AS n FROM revoked GROUP BY grant_id
    )
    -- The rows go back to the sweep, which builds their events with buildAuditEvent and inserts them
    -- in one more statement of the same transaction.
    SELECT e.consent_id, e.client_id, e.psu_id, d.status AS from_status, coalesce(r.n, 0) AS revoked_tokens,
           (SELECT coalesce(sum(n), 0)::int FROM revoked_per_grant) AS batch_tokens
      FROM expired e
      JOIN due d USING (consent_id)
      LEFT JOIN revoked_per_grant r ON r.grant_id = e.grant_id`;
}

type QueryRunner = ReturnType<DataSource['createQueryRunner']>;

/**
 * Runs one batch in its own transaction: the set-based expiry statement, then one insert of its
 * consent.expired events into the audit outbox (recordAuditEvents, so buildAuditEvent and redaction
 * shape them as every other event). Returns what it did.
 */
async function runBatch(runner: QueryRunner, sql: string, params: unknown[], reason: DueReason, now: Date): Promise<BatchCounts> {
  await runner.startTransaction();
  try {
    // JIT compiling this plan costs seconds and saves nothing on a statement run once a minute;
    // the hash joins over a batch spill to disk at the default work_mem.
    await runner.query(`SET LOCAL jit = off; SET LOCAL work_mem = '64MB'`);
    const rows = (await runner.query(sql, params)) as ExpiredConsentRow[];
    const prefix = eventIdPrefix();
    const inputs = rows.map((row, index) =>
      consentExpiredEvent(row, reason, now, `${prefix}${(index + 1).toString(16).padStart(8, '0')}`),
    );
    const events = await recordAuditEvents(runner.manager, inputs);
    await runner.commitTransaction();
    return { expired: rows.length, tokens: rows[0]?.batch_tokens ?? 0, audited: events.length };
  } catch (error) {
    await runner.rollbackTransaction();
    throw error;
  }
}

/**
 * Expires due consents in set-based batches: live consents past ExpirationDateTime and AWAU consents
 * older than `awaitingMaxAgeSeconds` become EXPD, their grants and tokens are deleted and a
 * `consent.expired` event goes to the audit outbox, all in one transaction per batch, with up to
 * `concurrency` batches in flight. Takes the sweep's advisory lock first and returns `skipped` when
 * another process holds it.
 */
export async function expireConsents(dataSource: DataSource, options: ExpireConsentsOptions): Promise<ExpireConsentsResult> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 50_000;
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  const tables = {
    consent: dataSource.getMetadata(AccountAccessConsentEntity).tableName,
    oidc: dataSource.getMetadata(OidcModelEntity).tableName,
  };
  const result: ExpireConsentsResult = {
    skipped: false,
    pastExpiration: 0,
    awaitingTooLong: 0,
    revokedTokens: 0,
    auditEvents: 0,
    batches: 0,
  };
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  const runners = [lockHolder];
  try {
    const [lock]: { locked: boolean }[] = await lockHolder.query('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
      CONSENT_EXPIRY_LOCK_KEY,
    ]);
    if (!lock!.locked) return { ...result, skipped: true };
    try {
      while (runners.length < concurrency) {
        const runner = dataSource.createQueryRunner();
        runners.push(runner);
        await runner.connect();
      }
      const cutoffs: Record<DueReason, Date> = {
        pastExpiration: now,
        awaitingTooLong: awaitingCutoff(now, options.awaitingMaxAgeSeconds),
      };
      for (const reason of ['pastExpiration', 'awaitingTooLong'] as const) {
        const sql = batchSql(reason, tables);
        // Each connection takes batches until one comes back short: the due consents are gone or
        // locked by a batch in flight (SKIP LOCKED keeps the batches apart).
        const drained = await Promise.allSettled(
          runners.map(async (runner) => {
            for (;;) {
              const params = [cutoffs[reason], batchSize, now, DUE[reason].description];
              const counts = await runBatch(runner, sql, params, reason, now);
              result.batches += 1;
              result[reason] += counts.expired;
              result.revokedTokens += counts.tokens;
              result.auditEvents += counts.audited;
              if (counts.expired < batchSize) return;
            }
          }),
        );
        // Every batch has ended before the lock is let go; the first failure is the sweep's.
        const failed = drained.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
      }
    } finally {
      await lockHolder.query('SELECT pg_advisory_unlock($1::bigint)', [CONSENT_EXPIRY_LOCK_KEY]);
    }
    return result;
  } finally {
    await Promise.all(runners.map((runner) => runner.release()));
  }
}
