import type { ConnectorServer, FaultyAnswer } from '@consentry/banking/test-support';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { RunningWorker } from '../../src/worker.bootstrap.js';
import { approvalSealOf } from '../support/approval-seal.js';
import { probeAndLocalDebtors, startWorkerWithProbeBank } from '../support/probe-bank.js';

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

  const statusOf = async (paymentId: string): Promise<{ status: string; status_reason: string | null }> =>
    (await db.dataSource.query(`SELECT status, status_reason FROM domestic_payment WHERE payment_id = $1`, [paymentId]))[0];
  const bookings = async (paymentId: string): Promise<number> =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE transaction_id = $1`, [paymentId]))[0].n;
  const eventsOf = async (paymentId: string): Promise<Array<{ to: string }>> =>
    db.dataSource.query(`SELECT event->'data'->>'to' AS to FROM audit_log WHERE event_type = 'payment.status-changed' AND event->'data'->>'paymentId' = $1 ORDER BY seq`, [paymentId]);

  beforeAll(async () => {
    db = await createTestDatabase('scheduled_payments_unreadable');
    redis = createTestRedis('scheduled-payments-unreadable');
    const keys = new EnvironmentKeyManagement(SECRETS_KEY);
    const sandbox = await seedSandbox(db.dataSource, { keys, seed: 6, transactionsPerAccount: 1 });
    const { probe, local } = await probeAndLocalDebtors(db, [sandbox.psus[0]!.username, sandbox.psus[1]!.username], UPSTREAM);

    const consent = async (consentId: string, kind: 'domestic-scheduled-payment' | 'domestic-standing-order', debtor: { account_id: string; psu_id: string }, initiation: Record<string, unknown>) =>
      db.dataSource.query(
        `INSERT INTO payment_consent (consent_id, kind, client_id, psu_id, status, initiation, risk, debtor_account_id, initiation_hash, creation_date_time, status_update_date_time)
         VALUES ($1, $2, $3, $4, 'COND', $5::jsonb, '{}', $6, $7, now(), now())`,
        [
          consentId,
          kind,
          sandbox.tpp.client_id,
          debtor.psu_id,
          JSON.stringify(initiation),
          debtor.account_id,
          approvalSealOf(SECRETS_KEY, { consentId, clientId: sandbox.tpp.client_id, psuId: debtor.psu_id, debtorAccountId: debtor.account_id, kind, initiation }),
        ],
      );
    const scheduled = async (paymentId: string, debtor: { account_id: string; psu_id: string }, at: Date) => {
      const initiation = {
        InstructionIdentification: `I-${paymentId}`,
        EndToEndIdentification: paymentId,
        RequestedExecutionDateTime: at.toISOString(),
        InstructedAmount: { Amount: '30.00', Currency: 'GBP' },
        CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400411112222', Name: 'Landlord' },
      };
      await consent(`pmc-${paymentId}`, 'domestic-scheduled-payment', debtor, initiation);
      await db.dataSource.query(
        `INSERT INTO domestic_payment (payment_id, consent_id, client_id, status, initiation, debtor_account_id, requested_execution_date_time, creation_date_time, status_update_date_time)
         VALUES ($1, $2, $3, 'PDNG', $4::jsonb, $5, $6, now(), now())`,
        [paymentId, `pmc-${paymentId}`, sandbox.tpp.client_id, JSON.stringify(initiation), debtor.account_id, at],
      );
    };
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
    await consent('pmc-dso-local', 'domestic-standing-order', local, order);
    await db.dataSource.query(
      `INSERT INTO domestic_standing_order (standing_order_id, consent_id, client_id, psu_id, status, initiation, debtor_account_id, next_run_index, next_run_at, creation_date_time, status_update_date_time)
       VALUES ('dso-local-1', 'pmc-dso-local', $1, $2, 'PDNG', $3::jsonb, $4, 0, $5, now(), now())`,
      [sandbox.tpp.client_id, local.psu_id, JSON.stringify(order), local.account_id, due],
    );
    // The oldest standing order due holds an Initiation it cannot run by (written by hand): its run throws.
    await db.dataSource.query(
      `INSERT INTO payment_consent (consent_id, kind, client_id, psu_id, status, initiation, risk, debtor_account_id, initiation_hash, creation_date_time, status_update_date_time)
       VALUES ('pmc-dso-broken', 'domestic-standing-order', $1, $2, 'COND', '{}'::jsonb, '{}', $3, 'not-a-seal', now(), now())`,
      [sandbox.tpp.client_id, local.psu_id, local.account_id],
    );
    await db.dataSource.query(
      `INSERT INTO domestic_standing_order (standing_order_id, consent_id, client_id, psu_id, status, initiation, debtor_account_id, next_run_index, next_run_at, creation_date_time, status_update_date_time)
       VALUES ('dso-broken-0', 'pmc-dso-broken', $1, $2, 'PDNG', '{}'::jsonb, $3, 0, $4, now(), now())`,
      [sandbox.tpp.client_id, local.psu_id, local.account_id, new Date(due.getTime() - 7_200_000)],
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
});
