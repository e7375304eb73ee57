import { AccountAccessConsentEntity, AuditOutboxEntity, DataSource, OidcModelEntity } from '@consentry/database';

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

// The predicate of each reason matches a partial index of the 1764200000000 migration exactly, so the
// planner scans only live consents; LIMIT bounds the batch and makes the estimate the batch size, which
// keeps the join to the consent table on primary-key lookups.
const DUE: Record<DueReason, { where: string; description: string }> = {
  pastExpiration: {
    where: `status IN ('AWAU', 'AUTH') AND expiration_date_time IS NOT NULL AND expiration_date_time <= $1`,
    description: 'Expired: ExpirationDateTime has passed',
  },
  awaitingTooLong: {
    where: `status = 'AWAU' AND creation_date_time <= $1`,
    description: 'Expired: not authorised in time',
  },
};

interface BatchCounts {
  expired: number;
  tokens: number;
  audited: number;
}

function batchSql(reason: DueReason, tables: { consent: string; oidc: string; outbox: string }): string {
  const { consent, oidc, outbox } = tables;
  // The planner's trap on batched forms: joining the batch back to its tables (UPDATE ... FROM due,
  // DELETE ... USING expired) made it hash the whole consent and oidc_model tables, a cost that grows
  // with the tables instead of the batch (3.4 s of an 8.3 s batch of 100k). Each step below therefore
  // takes the batch as one array (= ANY), which PostgreSQL answers with index probes.
  return `
    WITH due AS (
      SELECT consent_id, status FROM ${consent}
      WHERE ${DUE[reason].where}
      LIMIT $2 FOR UPDATE SKIP LOCKED
    ), expired AS (
      UPDATE ${consent} c
         SET status = 'EXPD', status_update_date_time = $3, status_reason_description = $4
       WHERE c.consent_id = ANY ((SELECT array_agg(consent_id) FROM due)::text[]) AND c.status IN ('AWAU', 'AUTH')
      RETURNING c.consent_id, c.client_id, c.psu_id, c.grant_id
    ), grants AS (
      SELECT array_agg(grant_id) AS ids FROM expired WHERE grant_id IS NOT NULL
    ), revoked_tokens AS (
      DELETE FROM ${oidc} m WHERE m.grant_id = ANY ((SELECT ids FROM grants)::text[])
      RETURNING m.grant_id
    ), revoked_grants AS (
      -- The Grant row itself may carry no grant_id.
      DELETE FROM ${oidc} m
       WHERE m.model = 'Grant' AND m.id = ANY ((SELECT ids FROM grants)::text[]) AND m.grant_id IS NULL
      RETURNING m.id AS grant_id
    ), revoked AS (
      SELECT grant_id, count(*)::int AS n
      FROM (SELECT grant_id FROM revoked_tokens UNION ALL SELECT grant_id FROM revoked_grants) r
      GROUP BY grant_id
    ), audited AS (
      -- The consent.expired event as buildAuditEvent would shape it; its data holds status codes and a
      -- count only, nothing redaction would change.
      INSERT INTO ${outbox} (event_id, event)
      SELECT e.id, jsonb_strip_nulls(jsonb_build_object(
               'eventId', e.id, 'type', 'consent.expired', 'occurredAt', $5::text,
               'actor', jsonb_build_object('type', 'system', 'id', 'consent-expiry'),
               'clientId', e.client_id, 'psuId', e.psu_id, 'consentId', e.consent_id,
               'data', jsonb_build_object('from', d.status, 'to', 'EXPD', 'reason', $4::text,
                                          'revokedTokens', coalesce(r.n, 0))))
      FROM (SELECT gen_random_uuid() AS id, * FROM expired) e
      JOIN due d USING (consent_id)
      LEFT JOIN revoked r ON r.grant_id = e.grant_id
      RETURNING 1
    )
    SELECT (SELECT count(*)::int FROM expired) AS expired,
           (SELECT coalesce(sum(n), 0)::int FROM revoked) AS tokens,
           (SELECT count(*)::int FROM audited) AS audited`;
}

/**
 * Expires due consents in set-based batches: live consents past ExpirationDateTime and AWAU consents
 * older than `awaitingMaxAgeSeconds` become EXPD, their grants and tokens are deleted and a
 * `consent.expired` event goes to the audit outbox, all in one transaction per batch. Takes the sweep's
 * advisory lock first and returns `skipped` when another process holds it.
 */
export async function expireConsents(dataSource: DataSource, options: ExpireConsentsOptions): Promise<ExpireConsentsResult> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 50_000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  const tables = {
    consent: dataSource.getMetadata(AccountAccessConsentEntity).tableName,
    oidc: dataSource.getMetadata(OidcModelEntity).tableName,
    outbox: dataSource.getMetadata(AuditOutboxEntity).tableName,
  };
  const result: ExpireConsentsResult = {
    skipped: false,
    pastExpiration: 0,
    awaitingTooLong: 0,
    revokedTokens: 0,
    auditEvents: 0,
    batches: 0,
  };
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [lock]: { locked: boolean }[] = await runner.query('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
      CONSENT_EXPIRY_LOCK_KEY,
    ]);
    if (!lock!.locked) return { ...result, skipped: true };
    try {
      const cutoffs: Record<DueReason, Date> = {
        pastExpiration: now,
        awaitingTooLong: new Date(now.getTime() - options.awaitingMaxAgeSeconds * 1000),
      };
      for (const reason of ['pastExpiration', 'awaitingTooLong'] as const) {
        const sql = batchSql(reason, tables);
        for (;;) {
          await runner.startTransaction();
          let counts: BatchCounts;
          try {
            // JIT compiling this plan costs seconds and saves nothing on a statement run once a minute;
            // the hash joins over a batch spill to disk at the default work_mem.
            await runner.query(`SET LOCAL jit = off`);
            await runner.query(`SET LOCAL work_mem = '64MB'`);
            [counts] = (await runner.query(sql, [
              cutoffs[reason],
              batchSize,
              now,
              DUE[reason].description,
              now.toISOString(),
            ])) as [BatchCounts];
            await runner.commitTransaction();
          } catch (error) {
            await runner.rollbackTransaction();
            throw error;
          }
          result.batches += 1;
          result[reason] += counts.expired;
          result.revokedTokens += counts.tokens;
          result.auditEvents += counts.audited;
          if (counts.expired < batchSize) break;
        }
      }
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1::bigint)', [CONSENT_EXPIRY_LOCK_KEY]);
    }
    return result;
  } finally {
    await runner.release();
  }
}
