// The payment-monitoring decision's own cost on the payment path: PaymentRiskEngine.assess (every rule's
// look-up, the assessment row, its audit event) timed inside the payment's transaction, RATE payments a
// second offered open loop (default 200: twice what one API instance's payment path carries on this
// machine, see bench/payments; RATE=0 runs CONCURRENCY at a time, flat out, to find the most decisions a
// second), against a payment_risk_assessment table already holding HISTORY decisions over
// ACCOUNTS debtor accounts (with their rolling amount statistics), PSUS PSUs (their hour histograms,
// and a day's failed sign-ins and lockouts for one in ten), so each look-up runs on tables of a bank's
// size and not empty ones.
// Issue 13's target: the decision adds at most 5 ms p99 to the payment path.
//   npx nx run-many -t build && npx node bench/risk-decision/run.js     (or: npm run bench risk-decision)
// RISK_RULES_FILE chooses the rules (default: every-kind.yaml beside this file, every kind's look-up on
// the path). Its own database on the PostgreSQL at TEST_DATABASE_SERVER_URL, dropped at the end. Not run by CI.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PaymentRiskEngine } from '@consentry/risk';
import { createTestDatabase } from '@consentry/testing';

import { percentile } from '../support/worker-process.js';

const PAYMENTS = Number(process.env.PAYMENTS ?? 5000);
const RATE = Number(process.env.RATE ?? 200);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10);
const HISTORY = Number(process.env.HISTORY ?? 500_000);
const ACCOUNTS = Number(process.env.ACCOUNTS ?? 10_000);
const PAYEES = Number(process.env.PAYEES ?? 20_000);
const PSUS = Number(process.env.PSUS ?? 5_000);
const TARGET_P99_MS = 5;
const rulesFile = process.env.RISK_RULES_FILE ?? fileURLToPath(new URL('./every-kind.yaml', import.meta.url));

const scheme = 'UK.OBIE.SortCodeAccountNumber';
const payeeId = (n) => `40400${String(n).padStart(9, '0')}`;
const dir = await mkdtemp(join(tmpdir(), 'consentry-bench-risk-'));
const denyListFile = join(dir, 'deny-list.json');
// A deny-list of a thousand mule accounts (held in memory by the engine).
await writeFile(denyListFile, JSON.stringify(Array.from({ length: 1000 }, (_, n) => ({ SchemeName: scheme, Identification: `99${String(n).padStart(12, '0')}` }))));
const engine = PaymentRiskEngine.load({ rulesFile, denyListFile });
const db = await createTestDatabase('bench_risk_decision');
db.dataSource.driver.master.options.max = CONCURRENCY + 2;
try {
  await db.dataSource.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('bench-tpp', 'Bench TPP', '{PISP}', '{}'), ('old-tpp', 'Old TPP', '{PISP}', '{}')`);
  await db.dataSource.query(`UPDATE tpp SET created_at = now() - interval '400 days' WHERE client_id = 'old-tpp'`);
  // The history: HISTORY decisions over the last 30 days, set-based, then analysed as autovacuum would.
  const started = performance.now();
  // Each TPP's and account's running totals (libs/risk's running-totals.ts) as these decisions would have
  // left them, on stripe 0, counted in time order.
  await db.dataSource.query(
    `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, psu_id, debtor_account_id, creditor_key, amount, currency, decision, score, rules, assessed_at, paid,
                                          tpp_stripe, tpp_running_payments, tpp_running_amount, account_stripe, account_running_payments, account_running_amount)
     SELECT 'hist-' || n, 'domestic-vrp', 'pmc-hist-' || (n % $2), client_id, NULL, account_id, '${scheme}:' || lpad('40400', 5) || lpad((n % $3)::text, 9, '0'), amount, 'GBP',
            'allow', 0, '[]'::jsonb, assessed_at, true, 0, count(*) OVER tpp, sum(amount) OVER tpp, 0, count(*) OVER account, sum(amount) OVER account
       FROM (SELECT n, CASE WHEN n % 2 = 0 THEN 'bench-tpp' ELSE 'old-tpp' END AS client_id, 'acc-' || (n % $2) AS account_id, (n % 2000) + 0.5 AS amount,
                    now() - (n % 2592000) * interval '1 second' AS assessed_at
               FROM generate_series(1, $1) AS n) AS h
     WINDOW tpp AS (PARTITION BY client_id ORDER BY assessed_at, n ROWS UNBOUNDED PRECEDING),
            account AS (PARTITION BY account_id ORDER BY assessed_at, n ROWS UNBOUNDED PRECEDING)`,
    [HISTORY, ACCOUNTS, PAYEES],
  );
  await db.dataSource.query(
    `INSERT INTO payment_running_total (owner, stripe, payments, amount)
     SELECT 'tpp:' || client_id, 0, count(*), sum(amount) FROM payment_risk_assessment GROUP BY client_id
     UNION ALL SELECT 'account:' || debtor_account_id, 0, count(*), sum(amount) FROM payment_risk_assessment GROUP BY debtor_account_id`,
  );
  // The history rules' rolling state, as the paid history above would have left it.
  await db.dataSource.query(
    `INSERT INTO payment_amount_statistics (debtor_account_id, currency, payment_count, mean, m2, updated_at)
     SELECT 'acc-' || a, 'GBP', 50, 1000.5, 50 * 333333.0, now() FROM generate_series(0, $1 - 1) AS a`,
    [ACCOUNTS],
  );
  await db.dataSource.query(
    `INSERT INTO psu_payment_hour (psu_id, payment_count, hours, updated_at)
     SELECT 'psu-' || p, 100, (SELECT array_agg(CASE WHEN h BETWEEN 8 AND 20 THEN 7 + (h % 2) ELSE 0 END::bigint ORDER BY h) FROM generate_series(0, 23) AS h), now()
       FROM generate_series(0, $1 - 1) AS p`,
    [PSUS],
  );
  await db.dataSource.query(
    `INSERT INTO psu_sign_in_failure (psu_id, failed_at, locked_until)
     SELECT 'psu-' || (p * 10), now() - (f * 7 + p % 60) * interval '1 minute', CASE WHEN f = 4 AND p % 3 = 0 THEN now() - (p % 60) * interval '1 minute' + interval '30 minutes' END
       FROM generate_series(0, $1 / 10 - 1) AS p, generate_series(0, 4) AS f`,
    [PSUS],
  );
  // Steady state, as bench/scale: the seed vacuumed (visibility map set), analysed and checkpointed, so the
  // measurement is not of the seed's own checkpoint and autovacuum.
  await db.dataSource.query(`VACUUM (ANALYZE) payment_risk_assessment, payment_running_total, payment_amount_statistics, psu_payment_hour, psu_sign_in_failure`);
  await db.dataSource.query('CHECKPOINT');
  console.log(
    `risk decision bench: ${PAYMENTS} payments, ${RATE > 0 ? `${RATE}/s offered` : `${CONCURRENCY} at a time`}, over ${HISTORY} earlier decisions on ${ACCOUNTS} accounts and ${PSUS} PSUs (seeded in ${((performance.now() - started) / 1000).toFixed(1)} s); ` +
      `rules ${rulesFile} (${engine.rules.rules.map((rule) => rule.kind).join(', ')}); load average ${loadavg()[0].toFixed(2)}`,
  );

  const timings = [];
  const decisions = { allow: 0, hold: 0, reject: 0 };
  let next = 0;
  async function pay(n, timed = true) {
      const input = {
        paymentId: `vrp-${randomUUID()}`,
        paymentKind: 'domestic-vrp',
        consentId: `pmc-hist-${n % ACCOUNTS}`,
        clientId: n % 3 === 0 ? 'bench-tpp' : 'old-tpp',
        psuId: `psu-${(n * 31) % PSUS}`,
        debtorAccountId: `acc-${(n * 7919) % ACCOUNTS}`,
        // Mostly known payees, some new, one in a hundred deny-listed.
        creditor: { schemeName: scheme, identification: n % 100 === 0 ? `99${String(n % 1000).padStart(12, '0')}` : payeeId((n * 104729) % (PAYEES * 2)) },
        amount: `${(n * 37) % 2500}.${String(n % 100).padStart(2, '0')}`,
        currency: 'GBP',
        interactionId: randomUUID(),
      };
      await db.dataSource.transaction(async (manager) => {
        const t0 = performance.now();
        const { decision } = await engine.assess(manager, input);
        if (!timed) return;
        timings.push(performance.now() - t0);
        decisions[decision]++;
      });
  }
  async function payer() {
    while (next < PAYMENTS) await pay(next++);
  }
  async function offered() {
    const started = performance.now();
    const inFlight = [];
    for (let n = 0; n < PAYMENTS; n++) {
      const wait = started + (n / RATE) * 1000 - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(pay(n));
    }
    await Promise.all(inFlight);
  }
  // A warm pool, as a running API's is: each connection has parsed the engine's statements and made the
  // executions after which PostgreSQL keeps a generic plan (a new connection's first six each plan the
  // statement, 20-40 ms on this machine under load); not timed.
  const poolSize = db.dataSource.driver.master.options.max;
  for (let round = 0; round < 8; round++) await Promise.all(Array.from({ length: poolSize }, (_, i) => pay(PAYMENTS + round * poolSize + i, false)));
  const t0 = performance.now();
  await (RATE > 0 ? offered() : Promise.all(Array.from({ length: CONCURRENCY }, payer)));
  const seconds = (performance.now() - t0) / 1000;
  timings.sort((a, b) => a - b);
  const p99 = percentile(timings, 99);
  console.log(
    `decision time (inside the payment's transaction): p50 ${percentile(timings, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${timings.at(-1).toFixed(2)} ms; ` +
      `${(PAYMENTS / seconds).toFixed(0)} decisions/s; allow ${decisions.allow}, hold ${decisions.hold}, reject ${decisions.reject}`,
  );
  console.log(`target: p99 <= ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS ? 'met' : 'NOT met'}; load average at end ${loadavg()[0].toFixed(2)}`);
} finally {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
}
