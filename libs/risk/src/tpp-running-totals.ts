// A TPP's payments in a sliding window, read from running totals instead of summed payment by payment
// (the tables are described in libs/database's migration 1765700000000):
//
//   window(since) = for each stripe s of the TPP:  totals(s) now  -  totals(s) at its last payment <= since
//
// A payment adds to the stripe of the database connection that scores it (the backend's pid modulo
// TPP_RUNNING_TOTAL_STRIPES), so a TPP's payments scored at once on several connections do not queue on
// one row; payments on one connection are scored one after another, so within a stripe the running
// totals grow in time order. A read is at most two index probes per stripe, whatever the TPP's volume.

/** How many rows a TPP's running totals are spread over. */
export const TPP_RUNNING_TOTAL_STRIPES = 16;

/** The stripe of the connection that runs the statement. */
const STRIPE = `(pg_backend_pid() % ${TPP_RUNNING_TOTAL_STRIPES})::smallint`;

/**
 * A subquery of one row, `(payments bigint, total numeric)`: the count and amount of the TPP's counted
 * payments (every one but a rejected one) scored after `since` (exclusive). `client` and `since` are SQL
 * expressions (text, timestamptz).
 */
export function tppWindowTotalsSql(client: string, since: string): string {
  return `
    SELECT coalesce(sum(t.payments - coalesce(b.payments, 0)), 0) AS payments, coalesce(sum(t.amount - coalesce(b.amount, 0)), 0) AS total
      FROM tpp_payment_running_total t
      LEFT JOIN LATERAL (
        SELECT tpp_running_payments AS payments, tpp_running_amount AS amount FROM payment_risk_assessment
         WHERE client_id = t.client_id AND tpp_stripe = t.stripe AND assessed_at <= ${since}
         ORDER BY assessed_at DESC, tpp_running_payments DESC LIMIT 1) AS b ON true
     WHERE t.client_id = ${client}`;
}

/**
 * A data-modifying WITH's statement that adds a payment to its TPP's running totals, and RETURNs the
 * stripe's totals after it (`stripe`, `payments`, `amount`) for its assessment row; it adds only `when`
 * that SQL condition holds (so a payment assessed before adds nothing). `counted` is the SQL condition
 * under which the payment counts (not rejected): a payment that does not count still returns the totals.
 */
export function tppRunningTotalAddSql(values: { client: string; amount: string; counted: string; when: string }): string {
  return `
    INSERT INTO tpp_payment_running_total AS t (client_id, stripe, payments, amount)
    SELECT ${values.client}, ${STRIPE}, CASE WHEN ${values.counted} THEN 1 ELSE 0 END, CASE WHEN ${values.counted} THEN ${values.amount} ELSE 0 END
     WHERE ${values.when}
    ON CONFLICT (client_id, stripe) DO UPDATE SET payments = t.payments + EXCLUDED.payments, amount = t.amount + EXCLUDED.amount
    RETURNING stripe, payments, amount`;
}
