import { EnvironmentKeyManagement } from '@consentry/identity';
import { seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { approvalSealOf } from '../support/approval-seal.js';
import { workerTestConfig } from '../support/worker-test-config.js';

const SECRETS_KEY = Buffer.alloc(32, 0x4c);
const WAIT = { timeout: 20_000, interval: 100 };
const DAY = 86_400_000;


/**
 * The worker runs a scheduled payment on its date, as its BullMQ job scheduler fires, reading "now" from
 * the clock the test gives it: nothing before the date, one debit on it, however often the job runs.
 */
describe('scheduled payments: the worker runs each on its date', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let worker: RunningWorker;
  let now = new Date();
  let debtor: string;
  const due = new Date(Date.now() + 2 * DAY);

  const available = async (): Promise<string> =>
    (await db.dataSource.query(`SELECT amount::text AS amount FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [debtor]))[0].amount;
  const runs = async (): Promise<Array<{ run_index: number; status: string }>> =>
    db.dataSource.query(`SELECT run_index, status FROM standing_order_run WHERE standing_order_id = 'dso-worker-1' ORDER BY run_index`);
  const status = async (): Promise<string> => (await db.dataSource.query(`SELECT status FROM domestic_payment WHERE payment_id = 'dsp-worker-1'`))[0].status;

  beforeAll(async () => {
    db = await createTestDatabase('scheduled_payments');
    redis = createTestRedis('scheduled-payments');
    const sandbox = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(SECRETS_KEY), seed: 5, transactionsPerAccount: 2 });
    const [account] = await db.dataSource.query(
      `SELECT a.account_id, a.psu_id FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = $1 AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' ORDER BY a.account_id LIMIT 1`,
      [sandbox.psus[0]!.username],
    );
    debtor = account.account_id;
    const psuId: string = account.psu_id;
    await db.dataSource.query(`UPDATE balance SET amount = 100, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [debtor]);
    await db.dataSource.query(`UPDATE account SET overdraft_limit = 0 WHERE account_id = $1`, [debtor]);
    const initiation = {
      InstructionIdentification: 'I-W1',
      EndToEndIdentification: 'W1',
      RequestedExecutionDateTime: due.toISOString(),
      InstructedAmount: { Amount: '30.00', Currency: 'GBP' },
      CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400411112222', Name: 'Landlord' },
      RemittanceInformation: { Unstructured: ['RENT FLAT 3'] },
    };
    await db.dataSource.query(
      `INSERT INTO payment_consent (consent_id, kind, client_id, psu_id, status, initiation, risk, debtor_account_id, initiation_hash, creation_date_time, status_update_date_time)
       VALUES ('pmc-worker-1', 'domestic-scheduled-payment', $1, $2, 'COND', $3::jsonb, '{}', $4, $5, now(), now())`,
      [
        sandbox.tpp.client_id,
        psuId,
        JSON.stringify(initiation),
        debtor,
        approvalSealOf(SECRETS_KEY, { consentId: 'pmc-worker-1', clientId: sandbox.tpp.client_id, psuId, debtorAccountId: debtor, kind: 'domestic-scheduled-payment', initiation }),
      ],
    );
    await db.dataSource.query(
      `INSERT INTO domestic_payment (payment_id, consent_id, client_id, status, initiation, debtor_account_id, requested_execution_date_time, creation_date_time, status_update_date_time)
       VALUES ('dsp-worker-1', 'pmc-worker-1', $1, 'PDNG', $2::jsonb, $3, $4, now(), now())`,
      [sandbox.tpp.client_id, JSON.stringify(initiation), debtor, due],
    );
    // A weekly standing order of three payments (10.00 first, then 5.00), from the same date.
    const order = {
      NumberOfPayments: '3',
      FirstPaymentAmount: { Amount: '10.00', Currency: 'GBP' },
      RecurringPaymentAmount: { Amount: '5.00', Currency: 'GBP' },
      CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400411112222', Name: 'Gym' },
      RemittanceInformation: { Unstructured: ['MEMBER 4471', 'GYM FEES'] },
      MandateRelatedInformation: { Frequency: { Type: 'WEEK' }, FirstPaymentDateTime: due.toISOString() },
    };
    await db.dataSource.query(
      `INSERT INTO payment_consent (consent_id, kind, client_id, psu_id, status, initiation, risk, debtor_account_id, initiation_hash, creation_date_time, status_update_date_time)
       VALUES ('pmc-worker-2', 'domestic-standing-order', $1, $2, 'COND', $3::jsonb, '{}', $4, $5, now(), now())`,
      [
        sandbox.tpp.client_id,
        psuId,
        JSON.stringify(order),
        debtor,
        approvalSealOf(SECRETS_KEY, { consentId: 'pmc-worker-2', clientId: sandbox.tpp.client_id, psuId, debtorAccountId: debtor, kind: 'domestic-standing-order', initiation: order }),
      ],
    );
    await db.dataSource.query(
      `INSERT INTO domestic_standing_order (standing_order_id, consent_id, client_id, psu_id, status, initiation, debtor_account_id, next_run_index, next_run_at, creation_date_time, status_update_date_time)
       VALUES ('dso-worker-1', 'pmc-worker-2', $1, $2, 'PDNG', $3::jsonb, $4, 0, $5, now(), now())`,
      [sandbox.tpp.client_id, psuId, JSON.stringify(order), debtor, due],
    );
    worker = await startWorker(
      workerTestConfig(db, redis, {
        SECRETS_KEY: SECRETS_KEY.toString('base64'),
        SCHEDULED_PAYMENT_INTERVAL_MS: '100',
      }),
      { clock: () => now },
    );
  });

  afterAll(async () => {
    await worker?.close();
    await db?.drop();
    await redis?.cleanup();
  });

  it('leaves the payment PDNG before its date, debits it once on it, and chains its status change', async () => {
    // Several runs of the job (every 100 ms) go by before the date: the order waits.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await status()).toBe('PDNG');
    expect(await available()).toBe('100.00000');

    now = new Date(due.getTime() + 1_000);
    await vi.waitFor(async () => expect(await status()).toBe('ACSP'), WAIT);
    // Later runs find nothing more to do: one debit (30.00), and the standing order's first run (10.00).
    await vi.waitFor(async () => expect(await runs()).toEqual([{ run_index: 0, status: 'ACSP' }]), WAIT);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await available()).toBe('60.00000');
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE transaction_id = 'dsp-worker-1'`);
    expect(n).toBe(1);
    await vi.waitFor(async () => {
      const events = await db.dataSource.query(`SELECT event->'data'->>'to' AS to FROM audit_log WHERE event_type = 'payment.status-changed' AND event->'data'->>'paymentId' = 'dsp-worker-1'`);
      expect(events).toEqual([{ to: 'ACSP' }]);
    }, WAIT);
  });

  it('pays a weekly standing order\'s runs on their dates, 10.00 then 5.00 twice, then ends it INCO', async () => {
    now = new Date(due.getTime() + 6 * DAY);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await runs()).toHaveLength(1);
    now = new Date(due.getTime() + 7 * DAY + 1_000);
    await vi.waitFor(async () => expect(await runs()).toHaveLength(2), WAIT);
    // Still PDNG after two runs: its StatusUpdateDateTime is still its creation's (it moved with every run).
    const orderStatus = async () =>
      (await db.dataSource.query(`SELECT status, status_update_date_time = creation_date_time AS unchanged FROM domestic_standing_order WHERE standing_order_id = 'dso-worker-1'`))[0];
    expect(await orderStatus()).toEqual({ status: 'PDNG', unchanged: true });
    // Three weeks on, the third (last) run is paid and the order ends; no fourth.
    now = new Date(due.getTime() + 21 * DAY);
    await vi.waitFor(async () => {
      const [order] = await db.dataSource.query(`SELECT status FROM domestic_standing_order WHERE standing_order_id = 'dso-worker-1'`);
      expect(order.status).toBe('INCO');
    }, WAIT);
    expect(await runs()).toEqual([
      { run_index: 0, status: 'ACSP' },
      { run_index: 1, status: 'ACSP' },
      { run_index: 2, status: 'ACSP' },
    ]);
    expect(await orderStatus()).toEqual({ status: 'INCO', unchanged: false });
    expect(await available()).toBe('50.00000');
    // Each run reaches the payee with the remittance the PSU approved, as the scheduled payment does (until
    // 7 December 2026 every run went without it: the payee saw "Payment to Gym").
    const booked = await db.dataSource.query(
      `SELECT amount::text AS amount, transaction_information AS information FROM transaction WHERE transaction_id LIKE 'dso-worker-1-run-%' OR transaction_id = 'dsp-worker-1' ORDER BY transaction_id`,
    );
    expect(booked).toEqual([
      { amount: '10.00000', information: 'MEMBER 4471 GYM FEES' },
      { amount: '5.00000', information: 'MEMBER 4471 GYM FEES' },
      { amount: '5.00000', information: 'MEMBER 4471 GYM FEES' },
      { amount: '30.00000', information: 'RENT FLAT 3' },
    ]);
  });
});
