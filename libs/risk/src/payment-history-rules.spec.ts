import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { recordPaidPayment } from './payment-history.js';
import { PaymentRiskEngine, PaymentRiskInput } from './payment-risk-engine.js';
import { parseRiskRules } from './risk-rules.js';

/** An engine with one rule of `kind`, holding alone when it fires. */
function engineWith(kind: string, params: string): PaymentRiskEngine {
  return new PaymentRiskEngine(
    parseRiskRules(`
thresholds: { hold: 50, reject: 100 }
rules:
  - { name: the-rule, kind: ${kind}, params: ${params}, weight: 50, action: hold }
`),
    new Set(),
  );
}

describe('history rule kinds against PostgreSQL', () => {
  let db: TestDatabase;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase('risk_history');
  });
  afterAll(async () => db?.drop());

  function payment(fields: { amount: string; at: string; debtorAccountId?: string; psuId?: string | null; currency?: string }): PaymentRiskInput {
    n += 1;
    return {
      paymentId: `dp-h-${n}`,
      paymentKind: 'domestic-payment',
      consentId: `pmc-h-${n}`,
      clientId: 'tpp-history',
      psuId: fields.psuId ?? null,
      debtorAccountId: fields.debtorAccountId ?? `acc-h-${n}`,
      creditor: { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '11111122222222' },
      amount: fields.amount,
      currency: fields.currency ?? 'GBP',
      at: new Date(fields.at),
    };
  }

  async function decide(engine: PaymentRiskEngine, input: PaymentRiskInput): Promise<string> {
    return (await engine.assess(db.dataSource.manager, input)).decision;
  }

  describe('amount-multiple', () => {
    const engine = engineWith('amount-multiple', '{ multiple: 3, minHistory: 3 }');
    const at = '2026-12-01T12:00:00Z';

    it('keeps the account’s count, mean and M2 incrementally, from its allowed payments only', async () => {
      for (const amount of ['10.00', '20.00', '30.00']) expect(await decide(engine, payment({ amount, at, debtorAccountId: 'acc-usual' }))).toBe('allow');
      const stats = async () =>
        (await db.dataSource.query(`SELECT payment_count::int AS count, mean, m2 FROM payment_amount_statistics WHERE debtor_account_id = 'acc-usual' AND currency = 'GBP'`))[0];
      expect(await stats()).toEqual({ count: 3, mean: 20, m2: 200 });
      // 60.00 is 3 × the usual 20.00: held, and a held payment does not join the history.
      expect(await decide(engine, payment({ amount: '60.00', at, debtorAccountId: 'acc-usual' }))).toBe('hold');
      expect(await stats()).toEqual({ count: 3, mean: 20, m2: 200 });
      expect(await decide(engine, payment({ amount: '59.99', at, debtorAccountId: 'acc-usual' }))).toBe('allow');
      expect((await stats()).count).toBe(4);
    });

    it('counts a released payment as the review does (recordPaidPayment), and keeps each currency apart', async () => {
      await recordPaidPayment(db.dataSource.manager, { debtorAccountId: 'acc-usual', psuId: null, amount: '100.01', currency: 'GBP', at: new Date(at) });
      const [row] = await db.dataSource.query(`SELECT payment_count::int AS count, mean FROM payment_amount_statistics WHERE debtor_account_id = 'acc-usual'`);
      expect(row.count).toBe(5);
      expect(row.mean).toBeCloseTo((10 + 20 + 30 + 59.99 + 100.01) / 5, 9);
      // No EUR history yet: a large EUR payment is not compared with the GBP mean.
      expect(await decide(engine, payment({ amount: '500.00', currency: 'EUR', at, debtorAccountId: 'acc-usual' }))).toBe('allow');
    });

    it('holds a payment of exactly multiple × the mean, in decimals (3 × 2.20 is 6.60, not 6.6000000000000005)', async () => {
      // Until 7 December 2026 the comparison ran in double precision and 6.60 was allowed.
      for (const amount of ['1.10', '2.20', '3.30']) expect(await decide(engine, payment({ amount, at, debtorAccountId: 'acc-exact' }))).toBe('allow');
      expect(await decide(engine, payment({ amount: '6.60', at, debtorAccountId: 'acc-exact' }))).toBe('hold');
      expect(await decide(engine, payment({ amount: '6.59', at, debtorAccountId: 'acc-exact' }))).toBe('allow');
    });

    it('does not fire before the account has minHistory payments', async () => {
      expect(await decide(engine, payment({ amount: '10.00', at, debtorAccountId: 'acc-young' }))).toBe('allow');
      expect(await decide(engine, payment({ amount: '10.00', at, debtorAccountId: 'acc-young' }))).toBe('allow');
      expect(await decide(engine, payment({ amount: '1000.00', at, debtorAccountId: 'acc-young' }))).toBe('allow');
      // Now three payments, mean 340: 1020.00 is 3 ×.
      expect(await decide(engine, payment({ amount: '1020.00', at, debtorAccountId: 'acc-young' }))).toBe('hold');
    });
  });

  describe('unusual-hour', () => {
    const engine = engineWith('unusual-hour', '{ minHistory: 5, maxShare: 0.1 }');

    it('fires for a London hour in which the PSU made less than maxShare of its payments', async () => {
      // Winter: London is UTC. Five payments in the 12:00 hour.
      for (let i = 0; i < 5; i++) expect(await decide(engine, payment({ amount: '5.00', at: `2026-12-0${i + 1}T12:${10 + i}:00Z`, psuId: 'psu-noon' }))).toBe('allow');
      const [row] = await db.dataSource.query(`SELECT payment_count::int AS count, hours[13]::int AS noon FROM psu_payment_hour WHERE psu_id = 'psu-noon'`);
      expect(row).toEqual({ count: 5, noon: 5 });
      expect(await decide(engine, payment({ amount: '5.00', at: '2026-12-07T03:05:00Z', psuId: 'psu-noon' }))).toBe('hold');
      expect(await decide(engine, payment({ amount: '5.00', at: '2026-12-07T12:59:00Z', psuId: 'psu-noon' }))).toBe('allow');
    });

    it('reads the hour on London’s clock: 11:30 UTC in July is 12:30 BST', async () => {
      expect(await decide(engine, payment({ amount: '5.00', at: '2026-07-01T11:30:00Z', psuId: 'psu-noon' }))).toBe('allow');
      expect(await decide(engine, payment({ amount: '5.00', at: '2026-07-01T12:30:00Z', psuId: 'psu-noon' }))).toBe('hold');
    });

    it('does not fire before minHistory payments, nor for another PSU’s history', async () => {
      for (let i = 0; i < 4; i++) await decide(engine, payment({ amount: '5.00', at: '2026-12-02T12:00:00Z', psuId: 'psu-new' }));
      expect(await decide(engine, payment({ amount: '5.00', at: '2026-12-02T03:00:00Z', psuId: 'psu-new' }))).toBe('allow');
      expect(await decide(engine, payment({ amount: '5.00', at: '2026-12-02T03:00:00Z', psuId: 'psu-unknown' }))).toBe('allow');
    });
  });

  /** The plan PostgreSQL picks when a scan of the whole table is ruled out: which index can serve the query. */
  async function planOf(sql: string): Promise<string> {
    return db.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL enable_seqscan = off`);
      const rows: Array<{ 'QUERY PLAN': string }> = await manager.query(`EXPLAIN ${sql}`);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  async function failure(psuId: string, failedAt: string, lockedUntil: string | null = null): Promise<void> {
    await db.dataSource.query(`INSERT INTO psu_sign_in_failure (psu_id, failed_at, locked_until) VALUES ($1, $2, $3)`, [psuId, failedAt, lockedUntil]);
  }

  describe('failed-sign-ins', () => {
    const engine = engineWith('failed-sign-ins', '{ windowMinutes: 15, minCount: 3 }');
    const at = '2026-12-01T12:00:00Z';

    it('fires from minCount failures of the PSU within the window before the payment', async () => {
      await failure('psu-attacked', '2026-12-01T11:44:59Z'); // outside the window
      await failure('psu-attacked', '2026-12-01T11:50:00Z');
      await failure('psu-attacked', '2026-12-01T11:55:00Z');
      await failure('psu-attacked', '2026-12-01T12:00:01Z'); // after the payment
      await failure('psu-other', '2026-12-01T11:58:00Z');
      expect(await decide(engine, payment({ amount: '5.00', at, psuId: 'psu-attacked' }))).toBe('allow');
      await failure('psu-attacked', '2026-12-01T11:59:00Z');
      expect(await decide(engine, payment({ amount: '5.00', at, psuId: 'psu-attacked' }))).toBe('hold');
      expect(await decide(engine, payment({ amount: '5.00', at, psuId: 'psu-other' }))).toBe('allow');
    });

    it('answers the lookup from the (psu_id, failed_at) index', async () => {
      expect(
        await planOf(`SELECT 1 FROM psu_sign_in_failure WHERE psu_id = 'psu-attacked' AND failed_at > now() - interval '15 minutes' AND failed_at <= now() LIMIT 3`),
      ).toContain('psu_sign_in_failure_psu_time_idx');
    });
  });

  describe('lockout-today', () => {
    const engine = engineWith('lockout-today', '{}');

    it('fires when a lock of the PSU was in force earlier on the payment’s London day, even one begun before midnight', async () => {
      await failure('psu-locked-yesterday', '2026-11-30T20:00:00Z', '2026-11-30T20:30:00Z');
      expect(await decide(engine, payment({ amount: '5.00', at: '2026-12-01T12:00:00Z', psuId: 'psu-locked-yesterday' }))).toBe('allow');
      await failure('psu-locked-at-midnight', '2026-11-30T23:50:00Z', '2026-12-01T00:20:00Z');
      expect(await decide(engine, payment({ amount: '5.00', at: '2026-12-01T12:00:00Z', psuId: 'psu-locked-at-midnight' }))).toBe('hold');
      // A lock that begins after the payment does not count.
      await failure('psu-locked-later', '2026-12-01T13:00:00Z', '2026-12-01T13:30:00Z');
      expect(await decide(engine, payment({ amount: '5.00', at: '2026-12-01T12:00:00Z', psuId: 'psu-locked-later' }))).toBe('allow');
    });

    it('answers the lookup from the partial lock index', async () => {
      expect(await planOf(`SELECT 1 FROM psu_sign_in_failure WHERE psu_id = 'psu-summer' AND locked_until > now() - interval '1 day' AND failed_at <= now()`)).toContain(
        'psu_sign_in_failure_lock_idx',
      );
    });

    it('takes the day on London’s clock: in summer, London’s day begins at 23:00 UTC', async () => {
      await failure('psu-summer', '2026-07-01T20:00:00Z', '2026-07-01T20:30:00Z');
      expect(await decide(engine, payment({ amount: '5.00', at: '2026-07-01T22:30:00Z', psuId: 'psu-summer' }))).toBe('hold');
      expect(await decide(engine, payment({ amount: '5.00', at: '2026-07-01T23:30:00Z', psuId: 'psu-summer' }))).toBe('allow');
    });
  });
});
