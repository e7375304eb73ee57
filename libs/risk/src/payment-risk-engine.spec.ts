import type { EntityManager } from '@consentry/database';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PaymentRiskEngine, PaymentRiskInput } from './payment-risk-engine.js';
import { parseRiskRules } from './risk-rules.js';

const RULES = `
thresholds: { hold: 50, reject: 100 }
rules:
  - name: young-tpp
    kind: new-tpp
    params: { minDays: 30 }
    weight: 10
    action: score
  - name: tpp-amount-burst
    kind: velocity
    params: { per: tpp, windowMinutes: 60, maxAmount: "100.00" }
    weight: 50
    action: score
`;

// More than five payments from one account in ten minutes are held.
const ACCOUNT_BURST_RULES = `
thresholds: { hold: 50, reject: 100 }
rules:
  - name: account-payment-burst
    kind: velocity
    params: { per: debtor-account, windowMinutes: 10, maxCount: 5 }
    weight: 50
    action: hold
`;

describe('PaymentRiskEngine against PostgreSQL', () => {
  let db: TestDatabase;
  let engine: PaymentRiskEngine;
  let n = 0;
  const at = new Date('2026-12-01T12:00:00Z');

  beforeAll(async () => {
    db = await createTestDatabase('risk_engine');
    // Only what the new-tpp rule reads: the TPP's registration instant.
    await db.dataSource.query(
      `INSERT INTO tpp (client_id, name, status, client_metadata, roles, created_at) VALUES ('tpp-young', 'Young TPP', 'Active', '{}', '{PISP}', $1)`,
      [new Date(at.getTime() - 2 * 86_400_000)],
    );
    engine = new PaymentRiskEngine(parseRiskRules(RULES), new Set());
  });
  afterAll(async () => db?.drop());

  function payment(amount: string, clientId = 'tpp-young'): PaymentRiskInput {
    n += 1;
    return {
      paymentId: `dp-${n}`,
      paymentKind: 'domestic-payment',
      consentId: `pmc-${n}`,
      clientId,
      psuId: null,
      debtorAccountId: `acc-${n}`,
      creditor: { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '11111122222222' },
      amount,
      currency: 'GBP',
      at,
    };
  }

  it('scores a burst of payments from one account sent at once as if sent in sequence: exactly the sixth onwards held', async () => {
    const burst = new PaymentRiskEngine(parseRiskRules(ACCOUNT_BURST_RULES), new Set());
    // Eight transactions at the same instant on their own connections, each held open a moment after its
    // decision (as a payment's transaction is), so without the lock they would all count the same history.
    const payments = Array.from({ length: 8 }, () => ({ ...payment('10.00', 'tpp-burst'), debtorAccountId: 'acc-burst' }));
    const decisions = await Promise.all(
      payments.map((input) =>
        db.dataSource.transaction(async (manager) => {
          const { decision } = await burst.assess(manager, input);
          await manager.query('SELECT pg_sleep(0.05)');
          return decision;
        }),
      ),
    );
    expect(decisions.filter((d) => d === 'allow')).toHaveLength(5);
    expect(decisions.filter((d) => d === 'hold')).toHaveLength(3);
    // A payment scored again keeps its first decision.
    expect((await burst.assess(db.dataSource.manager, payments[0]!)).decision).toBe(decisions[0]);
  });

  it('adds the weights of the rules that fire: a young TPP alone is allowed (score only), with its amount burst it is held', async () => {
    const first = await engine.assess(db.dataSource.manager, payment('60.00'));
    expect(first).toEqual({ decision: 'allow', score: 10, rules: [{ name: 'young-tpp', kind: 'new-tpp', score: 10 }] });
    const second = await engine.assess(db.dataSource.manager, payment('40.00'));
    expect(second.decision).toBe('allow');
    const third = await engine.assess(db.dataSource.manager, payment('0.01'));
    expect(third).toEqual({
      decision: 'hold',
      score: 60,
      rules: [
        { name: 'young-tpp', kind: 'new-tpp', score: 10 },
        { name: 'tpp-amount-burst', kind: 'velocity', score: 50 },
      ],
    });
  });

  it('keeps a payment’s first decision when it is assessed again (a scheduled run retried)', async () => {
    const input = payment('1.00');
    const first = await engine.assess(db.dataSource.manager, input);
    await db.dataSource.query(`UPDATE tpp SET created_at = $1 WHERE client_id = 'tpp-young'`, [new Date(at.getTime() - 40 * 86_400_000)]);
    expect(await engine.assess(db.dataSource.manager, input)).toEqual(first);
    const [{ count }] = await db.dataSource.query(`SELECT count(*)::int AS count FROM audit_outbox WHERE event->'data'->>'paymentId' = $1`, [input.paymentId]);
    expect(count).toBe(1);
  });

  it('does not fire new-tpp for a TPP registered long enough ago, nor for one it does not know', async () => {
    await db.dataSource.query(`UPDATE tpp SET created_at = $1 WHERE client_id = 'tpp-young'`, [new Date(at.getTime() - 40 * 86_400_000)]);
    expect((await engine.assess(db.dataSource.manager, payment('0.01', 'tpp-other'))).rules).toEqual([]);
    expect((await engine.assess(db.dataSource.manager, payment('0.01'))).rules).toEqual([{ name: 'tpp-amount-burst', kind: 'velocity', score: 50 }]);
  });

  it('holds the debtor account’s lock until the transaction ends only when a rule reads the payment history', async () => {
    const advisoryLocks = (manager: EntityManager): Promise<Array<{ count: number }>> =>
      manager.query(`SELECT count(*)::int AS count FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`);
    const denyListOnly = new PaymentRiskEngine(parseRiskRules(`
thresholds: { hold: 50, reject: 100 }
rules:
  - name: deny-listed-creditor
    kind: deny-list
    weight: 100
    action: reject
`), new Set());
    const locks = async (scorer: PaymentRiskEngine): Promise<number> =>
      db.dataSource.transaction(async (manager) => {
        await scorer.assess(manager, payment('1.00'));
        const [row] = await advisoryLocks(manager);
        return row!.count;
      });
    expect(await locks(denyListOnly)).toBe(0);
    expect(await locks(engine)).toBe(1);
  });

  it('adds an allowed payment to the amount history once, however often it is assessed', async () => {
    const history = new PaymentRiskEngine(parseRiskRules(`
thresholds: { hold: 50, reject: 100 }
rules:
  - name: large-for-the-account
    kind: amount-multiple
    params: { multiple: 10, minHistory: 1 }
    weight: 50
    action: hold
`), new Set());
    const input = { ...payment('20.00'), debtorAccountId: 'acc-once' };
    await history.assess(db.dataSource.manager, input);
    await history.assess(db.dataSource.manager, input);
    const [row] = await db.dataSource.query(`SELECT payment_count::int AS count, mean FROM payment_amount_statistics WHERE debtor_account_id = 'acc-once'`);
    expect(row).toEqual({ count: 1, mean: 20 });
  });

  it('tells its listeners how long each decision took and what it was, once per assessment', async () => {
    const observed: Array<[number, string]> = [];
    const timed = new PaymentRiskEngine(parseRiskRules(RULES), new Set());
    timed.observeDecisions((seconds, decision) => observed.push([seconds, decision]));
    const input = payment('1.00', 'tpp-timed');
    await timed.assess(db.dataSource.manager, input);
    await timed.assess(db.dataSource.manager, input);
    expect(observed.map(([, decision]) => decision)).toEqual(['allow', 'allow']);
    for (const [seconds] of observed) {
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThan(60);
    }
  });
  describe('assessWithin: the decision made in the caller’s own statements', () => {
    beforeAll(async () => {
      await db.dataSource.query(`CREATE TABLE caller_payment (payment_id text PRIMARY KEY, status text NOT NULL, read_back int NOT NULL)`);
    });

    /** One payment as a caller makes it: its lock first, then assessWithin with a read and a write of its own. */
    function callerPayment(scorer: PaymentRiskEngine, manager: EntityManager, input: PaymentRiskInput, refuse = false) {
      return scorer.assessWithin(manager, input, {
        read: { select: `$1::int AS read_back`, values: [7] },
        stopIf: (row) => (refuse ? { refusedWith: row.read_back } : null),
        write: (assessment) => ({
          parts: [{ sql: `INSERT INTO caller_payment (payment_id, status, read_back) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, values: [input.paymentId, assessment.decision, 7] }],
          eventsBefore: [{ type: 'payment.submitted', actor: { type: 'tpp', id: input.clientId }, clientId: input.clientId, data: { paymentId: input.paymentId } }],
          eventsAfter: [{ type: 'payment.status-changed', actor: { type: 'system', id: 'risk-engine' }, clientId: input.clientId, data: { paymentId: input.paymentId } }],
        }),
      });
    }

    it('scores a burst sent at once in sequence when the caller holds the account’s lock from an earlier statement', async () => {
      const burst = new PaymentRiskEngine(parseRiskRules(ACCOUNT_BURST_RULES), new Set());
      const lock = burst.debtorAccountLock!;
      const payments = Array.from({ length: 8 }, () => ({ ...payment('10.00', 'tpp-within'), debtorAccountId: 'acc-within' }));
      const decisions = await Promise.all(
        payments.map((input) =>
          db.dataSource.transaction(async (manager) => {
            await manager.query(`SELECT ${lock('$1::text')}`, [input.debtorAccountId]);
            const scored = await callerPayment(burst, manager, input);
            await manager.query('SELECT pg_sleep(0.05)');
            if ('stopped' in scored) throw new Error('not refused');
            expect(scored.read.read_back).toBe(7);
            return scored.assessment.decision;
          }),
        ),
      );
      expect(decisions.filter((d) => d === 'allow')).toHaveLength(5);
      expect(decisions.filter((d) => d === 'hold')).toHaveLength(3);
      // The caller's row went with each decision, at the status it gave.
      const rows: Array<{ status: string }> = await db.dataSource.query(`SELECT status FROM caller_payment WHERE payment_id = ANY($1::text[])`, [payments.map((p) => p.paymentId)]);
      expect(rows.map((r) => r.status).sort()).toEqual([...decisions].sort());
    });

    it('records the caller’s events around its own, in order, and writes nothing when the caller stops', async () => {
      const engineOfRules = new PaymentRiskEngine(parseRiskRules(RULES), new Set());
      const input = payment('1.00', 'tpp-events');
      await db.dataSource.transaction((manager) => callerPayment(engineOfRules, manager, input));
      const events: Array<{ type: string }> = await db.dataSource.query(
        `SELECT event->>'type' AS type FROM audit_outbox WHERE event->'data'->>'paymentId' = $1 ORDER BY created_seq`,
        [input.paymentId],
      );
      expect(events.map((e) => e.type)).toEqual(['payment.submitted', 'payment.risk-assessed', 'payment.status-changed']);

      const refused = payment('1.00', 'tpp-events');
      const outcome = await db.dataSource.transaction((manager) => callerPayment(engineOfRules, manager, refused, true));
      expect(outcome).toEqual({ stopped: { refusedWith: 7 } });
      const [{ written }] = await db.dataSource.query(
        `SELECT (SELECT count(*) FROM payment_risk_assessment WHERE payment_id = $1)::int + (SELECT count(*) FROM caller_payment WHERE payment_id = $1)::int AS written`,
        [refused.paymentId],
      );
      expect(written).toBe(0);
      // A payment assessed before is not a new one: assessWithin refuses it, and its transaction rolls back.
      await expect(db.dataSource.transaction((manager) => callerPayment(engineOfRules, manager, input))).rejects.toThrow(/assessed before/);
    });
  });
});
