import type { EntityManager } from '@consentry/database';

// The bank's clock is Europe/London with its summer time. libs/consents' london-calendar depends on this
// lib, so the hour and the day are taken from PostgreSQL's time-zone database, in these two expressions.
const londonHour = (instant: string): string => `extract(hour FROM ${instant} AT TIME ZONE 'Europe/London')::int`;
const londonMidnight = (instant: string): string => `(date_trunc('day', ${instant} AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London')`;

/** A payment whose money went: allowed by the engine, or released by an admin after a hold. */
export interface PaidPayment {
  debtorAccountId: string;
  psuId: string | null;
  amount: string;
  currency: string;
  /** When the PSU made it (its assessment's instant): its London hour goes into the PSU's histogram. */
  at: Date;
}

/**
 * Where a statement holds the values the history reads and writes: SQL expressions, typed (`$1::text`),
 * so that the parts below can be put together in one statement, each value one parameter.
 */
export interface HistoryValues {
  /** text: the debtor account. */
  account: string;
  /** text, or NULL: the PSU. */
  psu: string;
  /** numeric: the amount. */
  amount: string;
  /** char(3): the currency. */
  currency: string;
  /** timestamptz: when the payment is made. */
  at: string;
}

/**
 * The two writes that add a paid payment to the rolling statistics, for a data-modifying WITH, each done
 * only `when` that SQL condition holds: Welford's update of the account's amounts (in SET, `s.` is the
 * row before the update, EXCLUDED.mean the new amount), then, when there is a PSU, the count of its
 * London hour. An update of one row each, never a rescan.
 */
export function paidPaymentHistoryWrites(v: HistoryValues, when = 'true'): { amounts: string; hours: string } {
  return {
    amounts: `
      INSERT INTO payment_amount_statistics AS s (debtor_account_id, currency, payment_count, mean, m2, updated_at)
      SELECT ${v.account}, ${v.currency}, 1, ${v.amount}::double precision, 0, ${v.at} WHERE ${when}
      ON CONFLICT (debtor_account_id, currency) DO UPDATE SET
        payment_count = s.payment_count + 1,
        mean = s.mean + (EXCLUDED.mean - s.mean) / (s.payment_count + 1),
        m2 = s.m2 + (EXCLUDED.mean - s.mean) * (EXCLUDED.mean - (s.mean + (EXCLUDED.mean - s.mean) / (s.payment_count + 1))),
        updated_at = EXCLUDED.updated_at`,
    hours: `
      INSERT INTO psu_payment_hour AS h (psu_id, payment_count, hours, updated_at)
      SELECT ${v.psu}, 1, (SELECT array_agg(CASE WHEN i = ${londonHour(v.at)} THEN 1 ELSE 0 END::bigint ORDER BY i) FROM generate_series(0, 23) AS i), ${v.at}
       WHERE ${v.psu} IS NOT NULL AND ${when}
      ON CONFLICT (psu_id) DO UPDATE SET
        payment_count = h.payment_count + 1,
        hours[${londonHour(v.at)} + 1] = h.hours[${londonHour(v.at)} + 1] + 1,
        updated_at = EXCLUDED.updated_at`,
  };
}

const PAID: HistoryValues = { account: '$1::text', currency: '$2::char(3)', amount: '$3::numeric', at: '$4::timestamptz', psu: '$5::text' };
const RECORD_PAID = (({ amounts, hours }) => `WITH amounts AS (${amounts}) ${hours}`)(paidPaymentHistoryWrites(PAID));

/**
 * Adds a paid payment to the rolling statistics the history rules read (an admin's release of a held
 * payment), in the caller's transaction: one statement. The risk engine writes the same with its
 * assessment (payment-risk-engine.ts).
 */
export async function recordPaidPayment(manager: EntityManager, payment: PaidPayment): Promise<void> {
  await manager.query(RECORD_PAID, [payment.debtorAccountId, payment.currency, payment.amount, payment.at, payment.psuId]);
}

// Whether each history rule fires, as a boolean SQL expression over HistoryValues and the rule's own
// parameters (references, typed in place). The engine reads all of a rule set's in one statement.

/** amount-multiple: at least `multiple` × the account's mean paid amount, once it has `minHistory` payments. */
export function amountMultipleFires(v: HistoryValues, multiple: string, minHistory: string): string {
  // In numeric, to the amount's 5 decimals: in double precision 3 x 2.2 is 6.6000000000000005, and a
  // payment of exactly 6.60 was not held (until 7 December 2026).
  return `coalesce((SELECT payment_count >= ${minHistory}::int AND ${v.amount}::numeric >= round(${multiple}::numeric * mean::numeric, 5)
                      FROM payment_amount_statistics WHERE debtor_account_id = ${v.account} AND currency = ${v.currency}), false)`;
}

/** unusual-hour: fewer than `maxShare` of the PSU's paid payments fell in this London hour, once it has `minHistory`. */
export function unusualHourFires(v: HistoryValues, maxShare: string, minHistory: string): string {
  return `coalesce((SELECT payment_count >= ${minHistory}::int AND hours[${londonHour(v.at)} + 1] < ${maxShare}::double precision * payment_count
                      FROM psu_payment_hour WHERE psu_id = ${v.psu}), false)`;
}

/** failed-sign-ins: at least `minCount` failed sign-ins of the PSU within `windowMinutes` before the payment. */
export function failedSignInsFires(v: HistoryValues, windowMinutes: string, minCount: string): string {
  // Counting stops at minCount: a PSU under a brute-force attack costs the payment no more than that.
  return `(${v.psu} IS NOT NULL AND (SELECT count(*) FROM (
             SELECT 1 FROM psu_sign_in_failure WHERE psu_id = ${v.psu} AND failed_at > ${v.at} - make_interval(mins => ${windowMinutes}::int) AND failed_at <= ${v.at}
              LIMIT ${minCount}::int) AS f) >= ${minCount}::int)`;
}

/** lockout-today: the PSU's sign-in was locked at some time of the payment's London day, up to the payment. */
export function lockoutTodayFires(v: HistoryValues): string {
  return `(${v.psu} IS NOT NULL AND EXISTS (SELECT 1 FROM psu_sign_in_failure WHERE psu_id = ${v.psu} AND locked_until > ${londonMidnight(v.at)} AND failed_at <= ${v.at}))`;
}
