import { MIGRATIONS } from '@consentry/database';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { creditorKey, PaymentRiskEngine, PaymentRiskInput } from './payment-risk-engine.js';
import { parseRiskRules } from './risk-rules.js';
import { ACCOUNT_TOTALS, RunningTotalOwner, TPP_TOTALS, windowTotalsSql } from './running-totals.js';

// A deny-listed creditor gets its payment rejected (which a window does not count); the TPP velocity
// rule only scores, so its look-up runs on every payment without changing the decisions. Every payment
// adds to its TPP's and its account's totals, whatever the rules.
const MULE = { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '99999988888888' };
const PAYEE = { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '11111122222222' };
const RULES = `
thresholds: { hold: 500, reject: 1000 }
rules:
  - { name: mule, kind: deny-list, weight: 1000, action: reject }
  - { name: tpp-burst, kind: velocity, params: { per: tpp, windowMinutes: 10, maxCount: 3 }, weight: 1, action: score }
`;
const TPPS = ['tpp-a', 'tpp-b', 'tpp-c'];
const ACCOUNTS = ['acc-a', 'acc-b', 'acc-c', 'acc-d'];
const CURRENCIES = ['GBP', 'EUR'];
const window = (owner: RunningTotalOwner): string =>
  `SELECT payments::text AS payments, total::numeric(30, 5)::text AS total FROM (${windowTotalsSql(owner, '$1::text', '$3::char(3)', '$2::timestamptz')}) AS w`;
// What the running totals stand for: the owner's counted payments after the instant, one by one, in any
// currency, and the amount of those in the currency asked; neither a rejected payment nor a hold whose
// review ended without paying it counts.
const recount = (owner: RunningTotalOwner): string => `
  SELECT count(*)::text AS payments, coalesce(sum(amount) FILTER (WHERE currency = $3), 0)::numeric(30, 5)::text AS total FROM payment_risk_assessment
   WHERE ${owner.column} = $1 AND assessed_at > $2 AND decision <> 'reject'
     AND review_status IS DISTINCT FROM 'rejected' AND review_status IS DISTINCT FROM 'expired' AND review_status IS DISTINCT FROM 'withdrawn'`;
// How a review of a held payment ends, or stands.
const REVIEW_STATUSES = ['held', 'release-requested', 'released', 'rejected', 'expired', 'withdrawn'];

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('a TPP’s and an account’s payments in a window, from their running totals, against PostgreSQL', () => {
  let db: TestDatabase;
  const engine = new PaymentRiskEngine(parseRiskRules(RULES), new Set([creditorKey(MULE)]));
  const instants: Date[] = [];
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase('risk_running_totals');
  });
  afterAll(async () => db?.drop());

  function payment(clientId: string, amount: string, at: Date, creditor = PAYEE, debtorAccountId?: string, currency = 'GBP'): PaymentRiskInput {
    n += 1;
    return { paymentId: `dp-t-${n}`, paymentKind: 'domestic-payment', consentId: `pmc-t-${n}`, clientId, psuId: null, debtorAccountId: debtorAccountId ?? `acc-t-${n}`, creditor, amount, currency, at };
  }

  async function windowAndRecount(owner: RunningTotalOwner, id: string, since: Date, currency = 'GBP'): Promise<{ window: unknown; recount: unknown }> {
    const [totals] = await db.dataSource.query(window(owner), [id, since, currency]);
    const [counted] = await db.dataSource.query(recount(owner), [id, since, currency]);
    return { window: totals, recount: counted };
  }

  it('matches a recount of the payments at random instants, with payments scored at once on several connections, some rejected, some held and their reviews ended every way, in two currencies', async () => {
    const next = random(20261205);
    let at = Date.parse('2026-12-01T09:00:00Z');
    for (let batch = 0; batch < 60; batch += 1) {
      // Up to five payments at one instant, each in a transaction of its own, all open at once: they are
      // scored on different connections, so on different stripes.
      at += Math.floor(next() * 120_000);
      instants.push(new Date(at));
      const payments = Array.from({ length: 1 + Math.floor(next() * 5) }, () =>
        payment(
          TPPS[Math.floor(next() * TPPS.length)]!,
          (1 + Math.floor(next() * 100_000) / 100).toFixed(2),
          new Date(at),
          next() < 0.2 ? MULE : PAYEE,
          ACCOUNTS[Math.floor(next() * ACCOUNTS.length)],
          next() < 0.3 ? 'EUR' : 'GBP',
        ),
      );
      await Promise.all(
        payments.map((input) =>
          db.dataSource.transaction(async (manager) => {
            await engine.assess(manager, input);
            await manager.query('SELECT pg_sleep(0.01)');
          }),
        ),
      );
    }
    // A third of the payments the engine let through were held instead, and their reviews stand or ended
    // every way there is (the decision only labels a counted payment: the totals count both alike).
    const counted: Array<{ payment_id: string }> = await db.dataSource.query(`SELECT payment_id FROM payment_risk_assessment WHERE decision <> 'reject' ORDER BY payment_id`);
    for (const { payment_id } of counted.filter(() => next() < 0.35)) {
      await db.dataSource.query(`UPDATE payment_risk_assessment SET decision = 'hold', review_status = $2 WHERE payment_id = $1`, [
        payment_id,
        REVIEW_STATUSES[Math.floor(next() * REVIEW_STATUSES.length)],
      ]);
    }
    const [{ unpaid }] = await db.dataSource.query(`SELECT count(*)::int AS unpaid FROM payment_risk_assessment WHERE review_status IN ('rejected', 'expired', 'withdrawn')`);
    expect(unpaid).toBeGreaterThan(10);
    const [{ stripes }] = await db.dataSource.query(`SELECT count(DISTINCT stripe)::int AS stripes FROM payment_running_total`);
    expect(stripes).toBeGreaterThan(1);
    const [{ rejected }] = await db.dataSource.query(`SELECT count(*)::int AS rejected FROM payment_risk_assessment WHERE decision = 'reject'`);
    expect(rejected).toBeGreaterThan(0);

    // Each batch's own instant (its payments are not in a window from it), a moment before it (they are),
    // and random instants before, within and after the whole run; for every TPP and account, and one of
    // each that paid nothing.
    const probes = [
      ...instants.flatMap((instant) => [instant, new Date(instant.getTime() - 1)]),
      ...Array.from({ length: 40 }, () => new Date(instants[0]!.getTime() - 3_600_000 + Math.floor(next() * (instants.at(-1)!.getTime() - instants[0]!.getTime() + 7_200_000)))),
    ];
    const owners: Array<[RunningTotalOwner, string]> = [...[...TPPS, 'tpp-none'].map((id): [RunningTotalOwner, string] => [TPP_TOTALS, id]), ...[...ACCOUNTS, 'acc-none'].map((id): [RunningTotalOwner, string] => [ACCOUNT_TOTALS, id])];
    for (const [owner, id] of owners) {
      for (const since of probes) {
        for (const currency of CURRENCIES) {
          const { window: totals, recount: counted } = await windowAndRecount(owner, id, since, currency);
          expect({ id, since, currency, ...(totals as object) }).toEqual({ id, since, currency, ...(counted as object) });
        }
      }
    }
  });

  it('fires the rule on the payment that takes the count past its maximum, whichever connections scored the ones before', async () => {
    const at = new Date('2026-12-02T09:00:00Z');
    const decide = async (minutesLater: number): Promise<string[]> =>
      (await engine.assess(db.dataSource.manager, payment('tpp-rule', '5.00', new Date(at.getTime() + minutesLater * 60_000)))).rules.map((rule) => rule.name);
    await Promise.all([0, 0, 0].map(() => db.dataSource.transaction((manager) => engine.assess(manager, payment('tpp-rule', '5.00', at)))));
    // Three in the window: a fourth is over the maximum of three, and a fifth; ten minutes on, the first
    // three have left the window (it starts just after them), the two since have not.
    expect(await decide(1)).toEqual(['tpp-burst']);
    expect(await decide(9)).toEqual(['tpp-burst']);
    expect(await decide(10)).toEqual([]);
  });

  it('adds up a maxAmount window per currency, and counts a maxCount window in every currency', async () => {
    const rules = parseRiskRules(`
thresholds: { hold: 500, reject: 1000 }
rules:
  - { name: tpp-amount, kind: velocity, params: { per: tpp, windowMinutes: 60, maxAmount: "100.00" }, weight: 1, action: score }
  - { name: account-count, kind: velocity, params: { per: debtor-account, windowMinutes: 60, maxCount: 2 }, weight: 1, action: score }
`);
    const velocity = new PaymentRiskEngine(rules, new Set());
    const at = Date.parse('2026-12-04T09:00:00Z');
    const fired = async (minutes: number, amount: string, currency: string): Promise<string[]> =>
      (await velocity.assess(db.dataSource.manager, payment('tpp-fx', amount, new Date(at + minutes * 60_000), PAYEE, 'acc-fx', currency))).rules.map((rule) => rule.name);
    expect(await fired(0, '80.00', 'GBP')).toEqual([]);
    // 80 GBP and 80 EUR are not 160 of anything: until 7 December 2026 this fired tpp-amount.
    expect(await fired(1, '80.00', 'EUR')).toEqual([]);
    // A third payment is over the account's count of two, whatever the currencies; 80 + 30 GBP is over 100.
    expect(await fired(2, '30.00', 'GBP')).toEqual(['tpp-amount', 'account-count']);
    expect(await fired(3, '20.00', 'EUR')).toEqual(['account-count']);
  });

  it('adds a payment assessed again (a scheduled run retried) to the totals once', async () => {
    const input = payment('tpp-again', '7.00', new Date('2026-12-03T09:00:00Z'));
    await engine.assess(db.dataSource.manager, input);
    await engine.assess(db.dataSource.manager, input);
    const [totals] = await db.dataSource.query(`SELECT sum(payments)::int AS payments, sum(amount)::text AS amount FROM payment_running_total WHERE owner IN ('tpp:tpp-again', $1)`, [
      `account:${input.debtorAccountId}`,
    ]);
    expect(totals).toEqual({ payments: 2, amount: '14.00' });
  });

  it('gives the payments scored before the migrations their running totals, per currency, in time order', async () => {
    const migration = MIGRATIONS.find((m) => m.name === 'PaymentRunningTotals1765700000000');
    const perCurrency = MIGRATIONS.find((m) => m.name === 'RunningTotalsPerCurrency1765990000000');
    if (!migration || !perCurrency) throw new Error('the running totals migrations are not registered');
    const runner = db.dataSource.createQueryRunner();
    try {
      await new perCurrency().down(runner);
      await new migration().down(runner);
      await runner.query(`DELETE FROM payment_risk_assessment`);
      // Scored before the running totals existed, out of time order, two TPPs and two accounts, one
      // payment rejected.
      const rows: Array<[string, string, string, string, string]> = [
        ['old-3', 'tpp-old', 'acc-old', '30.00', '2026-11-01T09:30:00Z'],
        ['old-1', 'tpp-old', 'acc-old', '10.00', '2026-11-01T09:10:00Z'],
        ['old-x', 'tpp-old', 'acc-old', '99.00', '2026-11-01T09:15:00Z'],
        ['old-2', 'tpp-old', 'acc-other', '20.00', '2026-11-01T09:20:00Z'],
        ['other-1', 'tpp-other', 'acc-old', '5.00', '2026-11-01T09:00:00Z'],
        ['old-eur', 'tpp-old', 'acc-old', '7.00', '2026-11-01T09:25:00Z'],
      ];
      for (const [id, client, account, amount, at] of rows) {
        await runner.query(
          `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, debtor_account_id, creditor_key, amount, currency, decision, score, rules, assessed_at)
           VALUES ($1, 'domestic-payment', 'pmc-old', $2, $3, 'k', $4, $7, $5, 0, '[]', $6)`,
          [id, client, account, amount, id === 'old-x' ? 'reject' : 'allow', at, id === 'old-eur' ? 'EUR' : 'GBP'],
        );
      }
      // The first migration counts them with currencies mixed, the second again per currency.
      await new migration().up(runner);
      await new perCurrency().up(runner);
    } finally {
      await runner.release();
    }
    const since = ['2026-11-01T08:00:00Z', '2026-11-01T09:10:00Z', '2026-11-01T09:12:00Z', '2026-11-01T09:20:00Z', '2026-11-01T09:30:00Z'].map((s) => new Date(s));
    const owners: Array<[RunningTotalOwner, string]> = [
      [TPP_TOTALS, 'tpp-old'],
      [TPP_TOTALS, 'tpp-other'],
      [ACCOUNT_TOTALS, 'acc-old'],
      [ACCOUNT_TOTALS, 'acc-other'],
    ];
    for (const [owner, id] of owners) {
      for (const instant of since) {
        for (const currency of CURRENCIES) {
          const { window: totals, recount: counted } = await windowAndRecount(owner, id, instant, currency);
          expect(totals).toEqual(counted);
        }
      }
    }
    // And the next payment continues the TPP's and the account's totals.
    await engine.assess(db.dataSource.manager, payment('tpp-old', '1.00', new Date('2026-11-01T09:40:00Z'), PAYEE, 'acc-old'));
    expect((await windowAndRecount(TPP_TOTALS, 'tpp-old', new Date('2026-11-01T09:05:00Z'))).window).toEqual({ payments: '5', total: '61.00000' });
    expect((await windowAndRecount(TPP_TOTALS, 'tpp-old', new Date('2026-11-01T09:05:00Z'), 'EUR')).window).toEqual({ payments: '5', total: '7.00000' });
    expect((await windowAndRecount(ACCOUNT_TOTALS, 'acc-old', new Date('2026-11-01T08:00:00Z'))).window).toEqual({ payments: '5', total: '46.00000' });
  });
});
