// The payments of a TPP, or of a debtor account, in a sliding window, read from running totals instead
// of counted payment by payment (the tables are described in libs/database's migration 1765700000000):
//
//   window(since) = for each stripe s of the owner:  totals(s) now  -  totals(s) at its last payment <= since
//
// A payment adds to its currency's totals on the stripe of the database connection that scores it (the
// backend's pid modulo RUNNING_TOTAL_STRIPES), so an owner's payments scored at once on several
// connections do not queue on one row; payments on one connection are scored one after another, so within
// a currency and a stripe the running totals grow in time order. A read is at most two index probes per
// currency and stripe, however many payments the owner made in the window. Amounts are added up per
// currency (since migration 1765990000000; before it 100 GBP and 100 EUR made 200), payments counted
// whatever their currency.

/** How many rows an owner's running totals are spread over. */
const RUNNING_TOTAL_STRIPES = 16;

/** Whose payments a velocity rule counts, and where its running totals are kept. */
export interface RunningTotalOwner {
  /** The owner's key in payment_running_total: this prefix and its id. */
  prefix: string;
  /** The assessment row's column holding the owner's id. */
  column: string;
  /** The assessment row's columns holding its stripe and that stripe's totals just after it. */
  stripe: string;
  payments: string;
  amount: string;
}

export const TPP_TOTALS: RunningTotalOwner = { prefix: 'tpp:', column: 'client_id', stripe: 'tpp_stripe', payments: 'tpp_running_payments', amount: 'tpp_running_amount' };
export const ACCOUNT_TOTALS: RunningTotalOwner = {
  prefix: 'account:',
  column: 'debtor_account_id',
  stripe: 'account_stripe',
  payments: 'account_running_payments',
  amount: 'account_running_amount',
};

/** The stripe of the connection that runs the statement. */
const STRIPE = `(pg_backend_pid() % ${RUNNING_TOTAL_STRIPES})::smallint`;

/** Review outcomes of a held payment that never paid it: the hold leaves the windows it was counted in. */
const UNPAID_HOLD = `review_status IN ('rejected', 'expired', 'withdrawn')`;

/**
 * A subquery of one row, `(payments numeric, total numeric)`: the count of the owner's counted payments
 * scored after `since` (exclusive), in every currency, and the amount of those in `currency`. Counted is
 * every payment but one the engine rejected and a hold whose review ended without paying it (an admin's
 * rejection, its expiry, the PSU's withdrawal): the running totals count a hold from its assessment, and
 * such holds, few (a partial index), are taken out here, so every window that held one drops it (until 7
 * December 2026 a rejected hold kept counting, and held the PSU's next payment). `id`, `currency` and
 * `since` are SQL expressions (text, char(3), timestamptz).
 */
export function windowTotalsSql(owner: RunningTotalOwner, id: string, currency: string, since: string): string {
  return `
    SELECT r.payments - u.payments AS payments, r.total - u.total AS total
      FROM (SELECT coalesce(sum(t.payments - coalesce(b.payments, 0)), 0) AS payments,
                   coalesce(sum(t.amount - coalesce(b.amount, 0)) FILTER (WHERE t.currency = ${currency}), 0) AS total
              FROM payment_running_total t
              LEFT JOIN LATERAL (
                SELECT ${owner.payments} AS payments, ${owner.amount} AS amount FROM payment_risk_assessment
                 WHERE ${owner.column} = ${id} AND currency = t.currency AND ${owner.stripe} = t.stripe AND assessed_at <= ${since}
                 ORDER BY assessed_at DESC, ${owner.payments} DESC LIMIT 1) AS b ON true
             WHERE t.owner = '${owner.prefix}' || ${id}) AS r,
           (SELECT count(*) AS payments, coalesce(sum(amount) FILTER (WHERE currency = ${currency}), 0) AS total FROM payment_risk_assessment
             WHERE ${owner.column} = ${id} AND assessed_at > ${since} AND ${UNPAID_HOLD}) AS u`;
}

/**
 * A data-modifying WITH's statement that adds a payment to the owner's running totals in its currency and
 * RETURNs that currency's stripe's totals after it (`stripe`, `payments`, `amount`) for its assessment
 * row; it adds only `when` that SQL condition holds (so a payment assessed before adds nothing). `counted`
 * is the SQL condition under which the payment counts (not rejected): a payment that does not count still
 * returns the totals.
 */
export function runningTotalAddSql(owner: RunningTotalOwner, values: { id: string; currency: string; amount: string; counted: string; when: string }): string {
  return `
    INSERT INTO payment_running_total AS t (owner, currency, stripe, payments, amount)
    SELECT '${owner.prefix}' || ${values.id}, ${values.currency}, ${STRIPE}, CASE WHEN ${values.counted} THEN 1 ELSE 0 END, CASE WHEN ${values.counted} THEN ${values.amount} ELSE 0 END
     WHERE ${values.when}
    ON CONFLICT (owner, currency, stripe) DO UPDATE SET payments = t.payments + EXCLUDED.payments, amount = t.amount + EXCLUDED.amount
    RETURNING stripe, payments, amount`;
}
