import type { EntityManager } from '@consentry/database';

// The bank's clock is Europe/London with its summer time. libs/consents' london-calendar depends on this
// lib, so the hour and the day are taken from PostgreSQL's time-zone database, in these two expressions.
const londonHour = (instant: string): string => `extract(hour FROM ${instant}::timestamptz AT TIME ZONE 'Europe/London')::int`;
const londonMidnight = (instant: string): string => `(date_trunc('day', ${instant}::timestamptz AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London')`;

/** A payment whose money went: allowed by the engine, or released by an admin after a hold. */
export interface PaidPayment {
  debtorAccountId: string;
  psuId: string | null;
  amount: string;
  currency: string;
  /** When the PSU made it (its assessment's instant): its London hour goes into the PSU's histogram. */
  at: Date;
}

// One statement, one round trip on the payment path: Welford's update of the account's amounts (in SET,
// `s.` is the row before the update, EXCLUDED.mean the new amount), then, when there is a PSU, the count
// of its London hour. A data-modifying WITH runs whether or not the outer statement reads it.
const RECORD_PAID = `
  WITH amount AS (
    INSERT INTO payment_amount_statistics AS s (debtor_account_id, currency, payment_count, mean, m2, updated_at)
    VALUES ($1, $2, 1, $3::double precision, 0, $4)
    ON CONFLICT (debtor_account_id, currency) DO UPDATE SET
      payment_count = s.payment_count + 1,
      mean = s.mean + (EXCLUDED.mean - s.mean) / (s.payment_count + 1),
      m2 = s.m2 + (EXCLUDED.mean - s.mean) * (EXCLUDED.mean - (s.mean + (EXCLUDED.mean - s.mean) / (s.payment_count + 1))),
      updated_at = EXCLUDED.updated_at)
  INSERT INTO psu_payment_hour AS h (psu_id, payment_count, hours, updated_at)
  SELECT $5::text, 1, (SELECT array_agg(CASE WHEN i = ${londonHour('$4')} THEN 1 ELSE 0 END::bigint ORDER BY i) FROM generate_series(0, 23) AS i), $4
   WHERE $5::text IS NOT NULL
  ON CONFLICT (psu_id) DO UPDATE SET
    payment_count = h.payment_count + 1,
    hours[${londonHour('$4')} + 1] = h.hours[${londonHour('$4')} + 1] + 1,
    updated_at = EXCLUDED.updated_at`;

/**
 * Adds a paid payment to the rolling statistics the history rules read (the debtor account's amounts,
 * the PSU's hours), in the caller's transaction: an update of one row each, never a rescan.
 */
export async function recordPaidPayment(manager: EntityManager, payment: PaidPayment): Promise<void> {
  await manager.query(RECORD_PAID, [payment.debtorAccountId, payment.currency, payment.amount, payment.at, payment.psuId]);
}

/** amount-multiple: at least `multiple` × the account's mean paid amount, once it has `minHistory` payments. */
export async function isAmountMultiple(manager: EntityManager, input: { debtorAccountId: string; currency: string; amount: string }, multiple: number, minHistory: number): Promise<boolean> {
  const [row]: Array<{ fires: boolean }> = await manager.query(
    `SELECT payment_count >= $3 AND $4::double precision >= $5::double precision * mean AS fires FROM payment_amount_statistics WHERE debtor_account_id = $1 AND currency = $2`,
    [input.debtorAccountId, input.currency, minHistory, input.amount, multiple],
  );
  return row?.fires === true;
}

/** unusual-hour: fewer than `maxShare` of the PSU's paid payments fell in this London hour, once it has `minHistory`. */
export async function isUnusualHour(manager: EntityManager, psuId: string, at: Date, maxShare: number, minHistory: number): Promise<boolean> {
  const [row]: Array<{ fires: boolean }> = await manager.query(
    `SELECT payment_count >= $3 AND hours[${londonHour('$2')} + 1] < $4::double precision * payment_count AS fires FROM psu_payment_hour WHERE psu_id = $1`,
    [psuId, at, minHistory, maxShare],
  );
  return row?.fires === true;
}

/** failed-sign-ins: at least `minCount` failed sign-ins of the PSU within `windowMinutes` before `at`. */
export async function hasFailedSignIns(manager: EntityManager, psuId: string, at: Date, windowMinutes: number, minCount: number): Promise<boolean> {
  // Counting stops at minCount: a PSU under a brute-force attack costs the payment no more than that.
  const [row]: Array<{ count: number }> = await manager.query(
    `SELECT count(*)::int AS count FROM (
       SELECT 1 FROM psu_sign_in_failure WHERE psu_id = $1 AND failed_at > $2::timestamptz - make_interval(mins => $3) AND failed_at <= $2 LIMIT $4) AS f`,
    [psuId, at, windowMinutes, minCount],
  );
  return row!.count >= minCount;
}

/** lockout-today: the PSU's sign-in was locked at some time of `at`'s London day, up to `at`. */
export async function hadLockoutToday(manager: EntityManager, psuId: string, at: Date): Promise<boolean> {
  const [row]: Array<{ locked: boolean }> = await manager.query(
    `SELECT EXISTS (SELECT 1 FROM psu_sign_in_failure WHERE psu_id = $1 AND locked_until > ${londonMidnight('$2')} AND failed_at <= $2) AS locked`,
    [psuId, at],
  );
  return row!.locked;
}
