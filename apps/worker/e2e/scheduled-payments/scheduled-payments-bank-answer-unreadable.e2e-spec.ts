import { AggregatedBank, HttpBankConnector, SandboxLedgerConnector } from '@consentry/banking';
import type { ConnectorServer, FaultyAnswer } from '@consentry/banking/test-support';
import { executeDueScheduledPayments, executeDueStandingOrderRuns, PaymentApprovalSeal } from '@consentry/consents';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { RunningWorker } from '../../src/worker.bootstrap.js';
import { type Debtor, probeAndLocalDebtors, startWorkerWithProbeBank } from '../support/probe-bank.js';
import { StagedOrders } from '../support/staged-orders.js';

const SECRETS_KEY = Buffer.alloc(32, 0x4d);
const WAIT = { timeout: 20_000, interval: 100 };
const DAY = 86_400_000;
const UPSTREAM = 'probe-http';
const UPSTREAM_TOKEN = 'probe-upstream-secret-0123456789';

/**
 * The oldest due order's bank debits it, then answers something the connector cannot read (a body cut
 * short, then an outcome outside the contract). That order stays PDNG, its outcome unknown, and is sent
 * again on later runs (the bank is idempotent on the payment id); the other orders due (a scheduled payment
 * at another bank, a standing order) still run, and so they do past a standing order whose run throws. Until 6 December 2026 the first bad answer failed every
 * run: nothing else was ever paid, and the bad order was sent every 100 ms.
 */
describe('scheduled payments: a bank answering what the connector cannot read, or an order that throws, stops only its own order', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let worker: RunningWorker;
  let upstream: ConnectorServer;
  let fault: FaultyAnswer | null = { kind: 'cut' };
  let bankCalls = 0;
  const due = new Date(Date.now() + 2 * DAY);
  let now = new Date();
  let clientId: string;
  let probe: Debtor;
  const keys = new EnvironmentKeyManagement(SECRETS_KEY);

  let staged: StagedOrders;
  const scheduled = (paymentId: string, debtor: Debtor, at: Date): Promise<void> => staged.scheduled(paymentId, debtor, { at: at.toISOString(), amount: '30.00' });
  const standingOrder = (orderId: string, debtor: Debtor, initiation: Record<string, unknown>, nextRunAt: Date): Promise<void> =>
    staged.standingOrder(orderId, debtor, initiation, { nextRunIndex: 0, nextRunAt: nextRunAt.toISOString() });

  const statusOf = async (paymentId: string): Promise<{ status: string; status_reason: string | null }> =>
    (await db.dataSource.query(`SELECT status, status_reason FROM domestic_payment WHERE payment_id = $1`, [paymentId]))[0];
  const bookings = async (paymentId: string): Promise<number> =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE transaction_id = $1`, [paymentId]))[0].n;
  const eventsOf = async (paymentId: string): Promise<Array<{ to: string }>> =>
    db.dataSource.query(`SELECT event->'data'->>'to' AS to FROM audit_log WHERE event_type = 'payment.status-changed' AND event->'data'->>'paymentId' = $1 ORDER BY seq`, [paymentId]);

  beforeAll(async () => {
    db = await createTestDatabase('scheduled_payments_unreadable');
    redis = createTestRedis('scheduled-payments-unreadable');
    const sandbox = await seedSandbox(db.dataSource, { keys, seed: 6, transactionsPerAccount: 1 });
    clientId = sandbox.tpp.client_id;
    staged = new StagedOrders(db, clientId, SECRETS_KEY);
    let local: Debtor;
    ({ probe, local } = await probeAndLocalDebtors(db, [sandbox.psus[0]!.username, sandbox.psus[1]!.username], UPSTREAM));
    // P1, the oldest due, at the probe bank; P2, an hour later, at the built-in ledger's bank.
    await scheduled('dsp-probe-1', probe, new Date(due.getTime() - 3_600_000));
    await scheduled('dsp-local-2', local, due);
    const order = {
      NumberOfPayments: '2',
      FirstPaymentAmount: { Amount: '10.00', Currency: 'GBP' },
      RecurringPaymentAmount: { Amount: '10.00', Currency: 'GBP' },
      CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400411112222', Name: 'Gym' },
      MandateRelatedInformation: { Frequency: { Type: 'WEEK' }, FirstPaymentDateTime: due.toISOString() },
    };
    await standingOrder('dso-local-1', local, order, due);
    // The oldest standing order due holds an Initiation it cannot run by (written by hand): its run throws.
    await db.dataSource.query(
      `INSERT INTO payment_consent (consent_id, kind, client_id, psu_id, status, initiation, risk, debtor_account_id, initiation_hash, creation_date_time, status_update_date_time)
       VALUES ('pmc-dso-broken', 'domestic-standing-order', $1, $2, 'COND', '{}'::jsonb, '{}', $3, 'not-a-seal', now(), now())`,
      [clientId, local.psu_id, local.account_id],
    );
    await db.dataSource.query(
      `INSERT INTO domestic_standing_order (standing_order_id, consent_id, client_id, psu_id, status, initiation, debtor_account_id, next_run_index, next_run_at, creation_date_time, status_update_date_time)
       VALUES ('dso-broken-0', 'pmc-dso-broken', $1, $2, 'PDNG', '{}'::jsonb, $3, 0, $4, now(), now())`,
      [clientId, local.psu_id, local.account_id, new Date(due.getTime() - 7_200_000)],
    );

    // The probe bank: its ledger behind the connector protocol, which debits, then answers `fault`.
    ({ upstream, worker } = await startWorkerWithProbeBank({
      db,
      redis,
      keys,
      secretsKey: SECRETS_KEY,
      connector: UPSTREAM,
      token: UPSTREAM_TOKEN,
      faulty: () => {
        bankCalls += 1;
        return fault;
      },
      clock: () => now,
    }));
  });

  afterAll(async () => {
    await worker?.close();
    await upstream?.close();
    await db?.drop();
    await redis?.cleanup();
  });

  it('pays the other bank’s scheduled payment and the standing order while the oldest order’s bank answers a body cut short and the oldest standing order throws', async () => {
    now = new Date(due.getTime() + 1_000);
    await vi.waitFor(async () => expect(await statusOf('dsp-local-2')).toEqual({ status: 'ACSP', status_reason: null }), WAIT);
    await vi.waitFor(async () => {
      const runs = await db.dataSource.query(`SELECT run_index, status FROM standing_order_run WHERE standing_order_id = 'dso-local-1' ORDER BY run_index`);
      expect(runs).toEqual([{ run_index: 0, status: 'ACSP' }]);
    }, WAIT);
    // The standing order whose run throws is left as it was, for the next run (and logged on each).
    expect(await db.dataSource.query(`SELECT status, next_run_index FROM domestic_standing_order WHERE standing_order_id = 'dso-broken-0'`)).toEqual([{ status: 'PDNG', next_run_index: 0 }]);
    expect(await db.dataSource.query(`SELECT run_index FROM standing_order_run WHERE standing_order_id = 'dso-broken-0'`)).toEqual([]);
    // The probe bank debited P1 once, however often it was sent; its outcome is unknown here: PDNG, no event.
    expect(bankCalls).toBeGreaterThan(0);
    expect(await statusOf('dsp-probe-1')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await bookings('dsp-probe-1')).toBe(1);
    expect(await eventsOf('dsp-probe-1')).toEqual([]);
  });

  it('keeps the order PDNG, never RJCT, when its bank answers an outcome outside the contract, and settles it once the bank answers right', async () => {
    fault = { kind: 'result', result: { outcome: 'Pending', transactionId: 'dsp-probe-1' } };
    const calls = bankCalls;
    await vi.waitFor(() => expect(bankCalls).toBeGreaterThan(calls + 2), WAIT);
    expect(await statusOf('dsp-probe-1')).toEqual({ status: 'PDNG', status_reason: null });

    fault = null;
    await vi.waitFor(async () => expect(await statusOf('dsp-probe-1')).toEqual({ status: 'ACSP', status_reason: null }), WAIT);
    const [{ ledger_transaction_id }] = await db.dataSource.query(`SELECT ledger_transaction_id FROM domestic_payment WHERE payment_id = 'dsp-probe-1'`);
    expect(ledger_transaction_id).toBe('dsp-probe-1');
    expect(await bookings('dsp-probe-1')).toBe(1);
    await vi.waitFor(async () => expect(await eventsOf('dsp-probe-1')).toEqual([{ to: 'ACSP' }]), WAIT);
  });

  it('moves past a full page of deferred orders whose instants are finer than a millisecond: each run ends, its bank asked once', async () => {
    // The worker's job stops, so the calls counted here are these runs' alone.
    await worker.close();
    const at = new Date(due.getTime() + 60_000);
    const order = {
      NumberOfPayments: '2',
      FirstPaymentAmount: { Amount: '1.00', Currency: 'GBP' },
      RecurringPaymentAmount: { Amount: '1.00', Currency: 'GBP' },
      CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400411112222', Name: 'Gym' },
      MandateRelatedInformation: { Frequency: { Type: 'WEEK' }, FirstPaymentDateTime: at.toISOString() },
    };
    for (const n of [1, 2, 3]) {
      await scheduled(`dsp-probe-fine-${n}`, probe, at);
      await standingOrder(`dso-probe-fine-${n}`, probe, order, at);
    }
    // Instants as a restore or a hand-made row may hold them: a JavaScript Date cuts them to the millisecond,
    // so a keyset carried in one went back before the page it had read, and read it again for ever
    // (until 6 December 2026).
    await db.dataSource.query(`UPDATE domestic_payment SET requested_execution_date_time = requested_execution_date_time + interval '456 microseconds' WHERE payment_id LIKE 'dsp-probe-fine-%'`);
    await db.dataSource.query(`UPDATE domestic_standing_order SET next_run_at = next_run_at + interval '456 microseconds' WHERE standing_order_id LIKE 'dso-probe-fine-%'`);
    fault = { kind: 'html' };
    const bank = new AggregatedBank(db.dataSource, [new SandboxLedgerConnector(db.dataSource, keys), new HttpBankConnector({ name: UPSTREAM, baseUrl: upstream.url, token: UPSTREAM_TOKEN })]);
    const options = { approvals: new PaymentApprovalSeal([{ kid: 'default', key: SECRETS_KEY }]), batchSize: 2 };
    const runAt = new Date(at.getTime() + 1_000);

    let calls = bankCalls;
    expect(await endsWithin(executeDueScheduledPayments(db.dataSource, bank, runAt, options))).toEqual({ executed: 0, deferred: 3 });
    expect(bankCalls - calls).toBe(1);
    calls = bankCalls;
    // The three, and the suite's standing order whose run throws.
    expect(await endsWithin(executeDueStandingOrderRuns(db.dataSource, bank, runAt, options))).toEqual({ executed: 0, deferred: 4 });
    expect(bankCalls - calls).toBe(1);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM domestic_payment WHERE payment_id LIKE 'dsp-probe-fine-%' AND status = 'PDNG'`)).toEqual([{ n: 3 }]);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM domestic_standing_order WHERE standing_order_id LIKE 'dso-probe-fine-%' AND status = 'PDNG' AND next_run_index = 0`)).toEqual([{ n: 3 }]);
  });
});

/** The run's result, or a failure once 15 s pass: a run that reads its pages for ever fails here, not at the suite's timeout. */
async function endsWithin<T>(run: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the run did not end within 15 s')), 15_000);
  });
  try {
    return await Promise.race([run, stuck]);
  } finally {
    clearTimeout(timer);
  }
}
