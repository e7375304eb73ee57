import { AggregatedBank, HttpBankConnector, SandboxLedgerConnector } from '@consentry/banking';
import type { ConnectorServer, FaultyAnswer } from '@consentry/banking/test-support';
import {
  cancelScheduledPayment,
  cancelStandingOrder,
  executeDueScheduledPayments,
  executeDueStandingOrderRuns,
  expireHeldPayments,
  PaymentApprovalSeal,
  redriveStrandedPayments,
  ReviewHeldPayment,
} from '@consentry/consents';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { MIGRATIONS } from '@consentry/database';
import { seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { RunningWorker } from '../../src/worker.bootstrap.js';
import { approvalSealOf } from '../support/approval-seal.js';
import { DyingBank } from '../support/dying-bank.js';
import { type Debtor, probeAndLocalDebtors, startWorkerWithProbeBank } from '../support/probe-bank.js';
import { LANDLORD as PAYEE, StagedOrders, type StagedOrderKind as OrderKind } from '../support/staged-orders.js';

const SECRETS_KEY = Buffer.alloc(32, 0x6b);
const WAIT = { timeout: 20_000, interval: 100 };
const UPSTREAM = 'probe-http';
const UPSTREAM_TOKEN = 'probe-upstream-secret-unknown-0123';
const keys = new EnvironmentKeyManagement(SECRETS_KEY);
const approvals = new PaymentApprovalSeal([{ kid: 'default', key: SECRETS_KEY }]);
const REDRIVE = { approvals, afterSeconds: 120, maxAgeHours: 24 };

/**
 * Orders sent to their bank after they were accepted (a scheduled payment on its date, a standing order's
 * run, a held one an admin releases) whose bank debits them and whose answer is lost (a body cut short, a
 * crash during the call). Until 6 December 2026 such an order stayed PDNG with nothing saying it had been
 * sent: the PSU could cancel it (CANC, 25.00 debited for good), and a held one's release was refused and
 * left held, for the PSU's cancel or the review deadline (RJCT FR01) to close after the debit. Now the
 * order is marked sent before the bank is called: no path but the bank's answer gives it a final status,
 * and the worker sends it again with the same payment id until the bank answers, recorded once.
 */
describe('payment orders sent to their bank with their outcome unknown: never cancelled or rejected, recorded once when the bank answers', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let worker: RunningWorker;
  let upstream: ConnectorServer;
  let fault: FaultyAnswer | null = null;
  let clientId: string;
  let probe: Debtor;
  // The worker's clock stays before every order's date until the last test moves it.
  let now = new Date('2020-01-01T00:00:00Z');

  const bank = (): AggregatedBank =>
    new AggregatedBank(db.dataSource, [new SandboxLedgerConnector(db.dataSource, keys), new HttpBankConnector({ name: UPSTREAM, baseUrl: upstream.url, token: UPSTREAM_TOKEN })]);
  const dyingBank = (): AggregatedBank => new AggregatedBank(db.dataSource, [new SandboxLedgerConnector(db.dataSource, keys), new DyingBank(db.dataSource, keys, UPSTREAM)]);
  const review = (): ReviewHeldPayment => new ReviewHeldPayment(db.dataSource, bank(), approvals, 60);
  const release = (paymentId: string): ReturnType<ReviewHeldPayment['release']> => review().release({ paymentId, adminId: 'admin-1', reason: 'Checked with the customer', fourEyes: false });

  let staged: StagedOrders;
  /** A scheduled payment as the API accepts it: its consent used (COND), the order PDNG until its date. */
  const scheduled = (paymentId: string, amount: string, at: string): Promise<void> => staged.scheduled(paymentId, probe, { at, amount, creditor: PAYEE });
  /** A standing order of 2 runs of `amount` every `frequency` from `first`, PDNG, its cursor on run `nextRunIndex` at `nextRunAt`. */
  const standingOrder = (orderId: string, amount: string, first: string, frequency: string, cursor: { nextRunIndex: number; nextRunAt: string }): Promise<void> =>
    staged.standingOrder(
      orderId,
      probe,
      {
        NumberOfPayments: '2',
        FirstPaymentAmount: { Amount: amount, Currency: 'GBP' },
        RecurringPaymentAmount: { Amount: amount, Currency: 'GBP' },
        CreditorAccount: PAYEE,
        MandateRelatedInformation: { Frequency: { Type: frequency }, FirstPaymentDateTime: first },
      },
      cursor,
    );
  /** The risk engine's hold of a payment, in the review queue. */
  /**
   * A hold assessed at `at` (the database's now by default). The running worker's review deadline sweeps on
   * its own clock: a hold made after that clock moved years ahead must be assessed on it, or a sweep tick
   * rejects it (FR01) before the test acts.
   */
  const hold = async (paymentId: string, kind: OrderKind, consentId: string, amount: string, at?: Date): Promise<void> => {
    await db.dataSource.query(
      `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, psu_id, debtor_account_id, creditor_key, amount, currency, decision, score, rules, assessed_at, review_status,
                                            tpp_stripe, tpp_running_payments, tpp_running_amount, account_stripe, account_running_payments, account_running_amount)
       VALUES ($1, $2, $3, $4, $5, $6, 'x', $7, 'GBP', 'hold', 80, '[]', coalesce($8::timestamptz, now()), 'held', 0, 1, $7, 0, 1, $7)`,
      [paymentId, kind, consentId, clientId, probe.psu_id, probe.account_id, amount, at ?? null],
    );
  };

  const scheduledPayment = async (paymentId: string): Promise<{ status: string; sent: boolean }> =>
    (await db.dataSource.query(`SELECT status, sent_to_bank_at IS NOT NULL AS sent FROM domestic_payment WHERE payment_id = $1`, [paymentId]))[0];
  const run = async (paymentId: string): Promise<{ status: string; sent: boolean }> =>
    (await db.dataSource.query(`SELECT status, sent_to_bank_at IS NOT NULL AS sent FROM standing_order_run WHERE payment_id = $1`, [paymentId]))[0];
  const orderOf = async (orderId: string): Promise<{ status: string; next_run_index: number }> =>
    (await db.dataSource.query(`SELECT status, next_run_index FROM domestic_standing_order WHERE standing_order_id = $1`, [orderId]))[0];
  const reviewOf = async (paymentId: string): Promise<{ review_status: string; paid: boolean }> =>
    (await db.dataSource.query(`SELECT review_status, paid FROM payment_risk_assessment WHERE payment_id = $1`, [paymentId]))[0];
  const bookings = async (paymentId: string): Promise<number> =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE transaction_id = $1`, [paymentId]))[0].n;
  const balance = async (): Promise<string> =>
    (await db.dataSource.query(`SELECT amount::numeric(18,2)::text AS amount FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [probe.account_id]))[0].amount;
  const eventsOf = async (paymentId: string): Promise<Array<{ to: string; kind: string; actor: string }>> =>
    db.dataSource.query(
      // An event is in the outbox until the worker's relay moves it to the log (one statement): one query reads both.
      `SELECT event->'data'->>'to' AS to, event->'data'->>'kind' AS kind, event->'actor'->>'id' AS actor
         FROM audit_outbox WHERE event->>'type' = 'payment.status-changed' AND event->'data'->>'paymentId' = $1
       UNION ALL
       SELECT event->'data'->>'to', event->'data'->>'kind', event->'actor'->>'id'
         FROM audit_log WHERE event_type = 'payment.status-changed' AND event->'data'->>'paymentId' = $1`,
      [paymentId],
    );

  beforeAll(async () => {
    db = await createTestDatabase('unknown_outcome');
    redis = createTestRedis('unknown-outcome');
    const sandbox = await seedSandbox(db.dataSource, { keys, seed: 11, transactionsPerAccount: 1 });
    clientId = sandbox.tpp.client_id;
    staged = new StagedOrders(db, clientId, SECRETS_KEY);
    // The PSU's account is held at a bank reached over HTTP, whose answers `fault` cuts short after the debit.
    ({ probe } = await probeAndLocalDebtors(db, [sandbox.psus[0]!.username, sandbox.psus[1]!.username], UPSTREAM, 1000));
    ({ upstream, worker } = await startWorkerWithProbeBank({
      db,
      redis,
      keys,
      secretsKey: SECRETS_KEY,
      connector: UPSTREAM,
      token: UPSTREAM_TOKEN,
      faulty: () => fault,
      clock: () => now,
    }));
  });

  afterAll(async () => {
    await worker?.close().catch(() => undefined);
    await upstream?.close();
    await db?.drop();
    await redis?.cleanup();
  });

  it('refuses the PSU’s cancel of a scheduled payment its bank debited without an answer, sends it again, and records it ACSP once', async () => {
    await scheduled('dsp-lost-answer', '25.00', '2031-01-15T08:00:00+00:00');
    fault = { kind: 'cut' };
    const at = new Date('2031-01-15T08:00:01Z');
    expect(await executeDueScheduledPayments(db.dataSource, bank(), at, { approvals })).toEqual({ executed: 0, deferred: 1 });
    expect(await balance()).toBe('975.00');
    expect(await bookings('dsp-lost-answer')).toBe(1);

    // The PSU's cancel (the dashboard's and the customer API's): refused, nothing changes, no event.
    await expect(cancelScheduledPayment(db.dataSource, { paymentId: 'dsp-lost-answer', psuId: probe.psu_id })).rejects.toThrow(
      'the scheduled payment was sent to the bank, whose answer is awaited: it can no longer be cancelled',
    );
    expect(await scheduledPayment('dsp-lost-answer')).toEqual({ status: 'PDNG', sent: true });
    expect(await eventsOf('dsp-lost-answer')).toEqual([]);

    // Still cut short on the next run: sent again with the same payment id, debited once.
    expect(await executeDueScheduledPayments(db.dataSource, bank(), at, { approvals })).toEqual({ executed: 0, deferred: 1 });
    expect(await bookings('dsp-lost-answer')).toBe(1);

    fault = null;
    expect(await executeDueScheduledPayments(db.dataSource, bank(), at, { approvals })).toEqual({ executed: 1, deferred: 0 });
    expect(await scheduledPayment('dsp-lost-answer')).toEqual({ status: 'ACSP', sent: true });
    expect(await bookings('dsp-lost-answer')).toBe(1);
    expect(await balance()).toBe('975.00');
    expect(await eventsOf('dsp-lost-answer')).toEqual([{ to: 'ACSP', kind: 'domestic-scheduled-payment', actor: 'scheduled-payment-execution' }]);
    await expect(cancelScheduledPayment(db.dataSource, { paymentId: 'dsp-lost-answer', psuId: probe.psu_id })).rejects.toThrow('the scheduled payment is ACSP');
  });

  it('cancels a standing order while a run its bank debited waits for an answer: the run stays the bank’s and is recorded ACSP once, and no run after it is made', async () => {
    await standingOrder('dso-lost-answer', '15.00', '2031-01-15T09:00:00+00:00', 'WEEK', { nextRunIndex: 0, nextRunAt: '2031-01-15T09:00:00Z' });
    const runId = 'dso-lost-answer-run-0';
    fault = { kind: 'cut' };
    const at = new Date('2031-01-15T09:00:01Z');
    expect(await executeDueStandingOrderRuns(db.dataSource, bank(), at, { approvals })).toEqual({ executed: 0, deferred: 1 });
    expect(await bookings(runId)).toBe(1);
    expect(await balance()).toBe('960.00');
    expect(await run(runId)).toEqual({ status: 'PDNG', sent: true });
    // The order waits on the run: it neither moves on nor ends.
    expect(await orderOf('dso-lost-answer')).toEqual({ status: 'PDNG', next_run_index: 0 });

    // The PSU revokes the order before its next run (PSD2 Art. 80(4)): the runs to come are cancelled. Until
    // 6 December 2026 (late) the cancel was refused while the run was in flight, and the next run was paid.
    await cancelStandingOrder(db.dataSource, { standingOrderId: 'dso-lost-answer', psuId: probe.psu_id });
    expect(await orderOf('dso-lost-answer')).toEqual({ status: 'CANC', next_run_index: 0 });
    // The run in flight stays the bank's: not cancelled, and sent again by the re-drive until the bank answers.
    expect(await run(runId)).toEqual({ status: 'PDNG', sent: true });
    const later = new Date(Date.now() + 3_600_000);
    expect(await redriveStrandedPayments(db.dataSource, bank(), later, REDRIVE)).toEqual({ executed: 0, deferred: 1 });
    fault = null;
    expect(await redriveStrandedPayments(db.dataSource, bank(), later, REDRIVE)).toEqual({ executed: 1, deferred: 0 });
    expect(await run(runId)).toEqual({ status: 'ACSP', sent: true });
    expect(await bookings(runId)).toBe(1);
    expect(await eventsOf(runId)).toEqual([{ to: 'ACSP', kind: 'domestic-standing-order', actor: 'payment-redrive' }]);
    // Its next run's date passes: nothing more is paid, and the order stays cancelled.
    expect(await executeDueStandingOrderRuns(db.dataSource, bank(), new Date('2031-01-23T09:00:00Z'), { approvals })).toEqual({ executed: 0, deferred: 0 });
    expect(await orderOf('dso-lost-answer')).toEqual({ status: 'CANC', next_run_index: 0 });
    expect(await bookings('dso-lost-answer-run-1')).toBe(0);
    expect(await balance()).toBe('960.00');
  });

  it('keeps the mark of a payment whose worker died during the bank’s call: the cancel is refused and the next run records the one debit', async () => {
    await scheduled('dsp-dying', '10.00', '2031-01-16T08:00:00+00:00');
    const at = new Date('2031-01-16T08:00:01Z');
    // The bank debits and the call never returns to the worker: its transaction is rolled back.
    expect(await executeDueScheduledPayments(db.dataSource, dyingBank(), at, { approvals })).toEqual({ executed: 0, deferred: 1 });
    expect(await bookings('dsp-dying')).toBe(1);
    await expect(cancelScheduledPayment(db.dataSource, { paymentId: 'dsp-dying', psuId: probe.psu_id })).rejects.toThrow('whose answer is awaited');
    expect(await scheduledPayment('dsp-dying')).toEqual({ status: 'PDNG', sent: true });

    expect(await executeDueScheduledPayments(db.dataSource, bank(), at, { approvals })).toEqual({ executed: 1, deferred: 0 });
    expect(await scheduledPayment('dsp-dying')).toEqual({ status: 'ACSP', sent: true });
    expect(await bookings('dsp-dying')).toBe(1);
    expect(await balance()).toBe('950.00');
    expect(await eventsOf('dsp-dying')).toEqual([{ to: 'ACSP', kind: 'domestic-scheduled-payment', actor: 'scheduled-payment-execution' }]);
  });

  it('a held scheduled payment and a held standing-order run released while their bank’s answer is lost stay released: no cancel, reject or deadline closes them, and the worker records each once', async () => {
    await scheduled('dsp-held-1', '40.00', '2031-01-10T08:00:00+00:00');
    await hold('dsp-held-1', 'domestic-scheduled-payment', 'pmc-dsp-held-1', '40.00');
    await scheduled('dsp-held-2', '45.00', '2031-01-10T08:00:00+00:00');
    await hold('dsp-held-2', 'domestic-scheduled-payment', 'pmc-dsp-held-2', '45.00');
    // The order's first run, held when it was due; the order moved on to its next run, a year later.
    await standingOrder('dso-held', '30.00', '2031-01-10T08:00:00+00:00', 'YEAR', { nextRunIndex: 1, nextRunAt: '2032-01-10T08:00:00Z' });
    await db.dataSource.query(
      `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, status_update_date_time)
       VALUES ('dso-held', 0, 'dso-held-run-0', '2031-01-10T08:00:00Z', 30, 'GBP', 'PDNG', now())`,
    );
    await hold('dso-held-run-0', 'domestic-standing-order', 'pmc-dso-held', '30.00');
    const held = ['dsp-held-1', 'dsp-held-2', 'dso-held-run-0'];

    // Each release: the bank debits, its answer is cut short. The release stands (until 6 December 2026
    // it was refused, "the payment stays held", with the money gone).
    fault = { kind: 'cut' };
    for (const paymentId of held) {
      expect(await release(paymentId)).toEqual({ outcome: 'released', paymentId, status: 'PDNG', statusReason: null });
      expect(await bookings(paymentId)).toBe(1);
      expect(await reviewOf(paymentId)).toEqual({ review_status: 'released', paid: false });
    }
    expect(await balance()).toBe('835.00');
    expect(await scheduledPayment('dsp-held-1')).toEqual({ status: 'PDNG', sent: true });
    expect(await run('dso-held-run-0')).toEqual({ status: 'PDNG', sent: true });

    // The PSU's cancel, an admin's second thoughts and the review deadline: none closes them.
    await expect(cancelScheduledPayment(db.dataSource, { paymentId: 'dsp-held-1', psuId: probe.psu_id })).rejects.toThrow('whose answer is awaited');
    // The PSU may still stop the order's runs to come; the released run stays the bank's.
    await cancelStandingOrder(db.dataSource, { standingOrderId: 'dso-held', psuId: probe.psu_id });
    await expect(review().reject({ paymentId: 'dsp-held-2', adminId: 'admin-2', reason: 'Changed my mind', fourEyes: false })).rejects.toThrow('already reviewed (released)');
    await expect(release('dsp-held-2')).rejects.toThrow('already reviewed (released)');
    expect(await expireHeldPayments(db.dataSource, new Date(Date.now() + 30 * 86_400_000), 60)).toBe(0);
    for (const paymentId of held) {
      expect(await reviewOf(paymentId)).toEqual({ review_status: 'released', paid: false });
      expect(await eventsOf(paymentId)).toEqual([]);
    }
    expect(await scheduledPayment('dsp-held-1')).toEqual({ status: 'PDNG', sent: true });
    expect(await scheduledPayment('dsp-held-2')).toEqual({ status: 'PDNG', sent: true });
    expect(await run('dso-held-run-0')).toEqual({ status: 'PDNG', sent: true });
    expect(await orderOf('dso-held')).toEqual({ status: 'CANC', next_run_index: 1 });

    // The re-drive leaves them to the release for PAYMENT_REDRIVE_AFTER_SECONDS, then asks the bank again:
    // still cut short, still PDNG, still debited once (the bank found down is asked once in the run).
    expect(await redriveStrandedPayments(db.dataSource, bank(), new Date(), REDRIVE)).toEqual({ executed: 0, deferred: 0 });
    expect(await redriveStrandedPayments(db.dataSource, bank(), new Date(Date.now() + 3_600_000), REDRIVE)).toEqual({ executed: 0, deferred: 3 });
    for (const paymentId of held) expect(await bookings(paymentId)).toBe(1);

    // The bank answers again: the worker's job (its clock past the delay) records each once, with its one event.
    fault = null;
    now = new Date('2031-02-01T00:00:00Z');
    await vi.waitFor(async () => {
      expect(await scheduledPayment('dsp-held-1')).toEqual({ status: 'ACSP', sent: true });
      expect(await scheduledPayment('dsp-held-2')).toEqual({ status: 'ACSP', sent: true });
      expect(await run('dso-held-run-0')).toEqual({ status: 'ACSP', sent: true });
    }, WAIT);
    for (const paymentId of held) {
      expect(await bookings(paymentId)).toBe(1);
      expect(await reviewOf(paymentId)).toEqual({ review_status: 'released', paid: true });
    }
    expect(await eventsOf('dsp-held-1')).toEqual([{ to: 'ACSP', kind: 'domestic-scheduled-payment', actor: 'payment-redrive' }]);
    expect(await eventsOf('dsp-held-2')).toEqual([{ to: 'ACSP', kind: 'domestic-scheduled-payment', actor: 'payment-redrive' }]);
    expect(await eventsOf('dso-held-run-0')).toEqual([{ to: 'ACSP', kind: 'domestic-standing-order', actor: 'payment-redrive' }]);
    expect(await balance()).toBe('835.00');
    // The order's next run is a year away: nothing else was paid.
    expect(await orderOf('dso-held')).toEqual({ status: 'CANC', next_run_index: 1 });
  });

  it('a worker without the connector of the debtor’s bank leaves its scheduled payments and standing-order runs PDNG, untried and unmarked, and pays them once it has it', async () => {
    await scheduled('dsp-no-connector', '7.00', '2031-02-01T08:00:00+00:00');
    await standingOrder('dso-no-connector', '8.00', '2031-02-01T08:00:00+00:00', 'WEEK', { nextRunIndex: 0, nextRunAt: '2031-02-01T08:00:00Z' });
    const at = new Date('2031-02-01T08:00:01Z');
    // HTTP_BANK_CONNECTORS lacks the probe bank here (until 7 December 2026: RJCT AC06 for good).
    const ledgerOnly = new AggregatedBank(db.dataSource, [new SandboxLedgerConnector(db.dataSource, keys)]);
    expect(await executeDueScheduledPayments(db.dataSource, ledgerOnly, at, { approvals })).toEqual({ executed: 0, deferred: 1 });
    expect(await executeDueStandingOrderRuns(db.dataSource, ledgerOnly, at, { approvals })).toEqual({ executed: 0, deferred: 1 });
    expect(await scheduledPayment('dsp-no-connector')).toEqual({ status: 'PDNG', sent: false });
    expect(await orderOf('dso-no-connector')).toEqual({ status: 'PDNG', next_run_index: 0 });
    expect(await bookings('dsp-no-connector')).toBe(0);

    expect(await executeDueScheduledPayments(db.dataSource, bank(), at, { approvals })).toEqual({ executed: 1, deferred: 0 });
    expect(await executeDueStandingOrderRuns(db.dataSource, bank(), at, { approvals })).toMatchObject({ executed: 1 });
    expect(await scheduledPayment('dsp-no-connector')).toEqual({ status: 'ACSP', sent: true });
    expect(await orderOf('dso-no-connector')).toEqual({ status: 'PDNG', next_run_index: 1 });
    expect(await bookings('dsp-no-connector')).toBe(1);
    // Its second and last run, a week on: the order is done.
    expect(await executeDueStandingOrderRuns(db.dataSource, bank(), new Date('2031-02-08T08:00:01Z'), { approvals })).toEqual({ executed: 1, deferred: 0 });
    expect(await orderOf('dso-no-connector')).toMatchObject({ next_run_index: 2 });
  });

  it('a worker not yet given the key its PSUs’ approvals are sealed under leaves their orders PDNG, unmarked and unrejected, and pays them once it holds the key', async () => {
    await scheduled('dsp-new-key', '6.00', '2031-02-02T08:00:00+00:00');
    const NEW_KEY = Buffer.alloc(32, 0x7a);
    const [consent]: Array<{ initiation: Record<string, unknown> }> = await db.dataSource.query(`SELECT initiation FROM payment_consent WHERE consent_id = 'pmc-dsp-new-key'`);
    // The PSU approved it under the rotated SECRETS_KEYS (key `next` first), which this worker lacks.
    const sealed = approvalSealOf(
      NEW_KEY,
      { consentId: 'pmc-dsp-new-key', clientId, psuId: probe.psu_id, debtorAccountId: probe.account_id, kind: 'domestic-scheduled-payment', initiation: consent!.initiation },
      'next',
    );
    await db.dataSource.query(`UPDATE payment_consent SET initiation_hash = $2 WHERE consent_id = $1`, ['pmc-dsp-new-key', sealed]);
    const at = new Date('2031-02-02T08:00:01Z');
    // Until 7 December 2026: RJCT AG01 ("no longer matches what the PSU approved") for good.
    expect(await executeDueScheduledPayments(db.dataSource, bank(), at, { approvals })).toEqual({ executed: 0, deferred: 1 });
    expect(await scheduledPayment('dsp-new-key')).toEqual({ status: 'PDNG', sent: false });
    expect(await bookings('dsp-new-key')).toBe(0);

    const rotated = new PaymentApprovalSeal([
      { kid: 'next', key: NEW_KEY },
      { kid: 'default', key: SECRETS_KEY },
    ]);
    expect(await executeDueScheduledPayments(db.dataSource, bank(), at, { approvals: rotated })).toEqual({ executed: 1, deferred: 0 });
    expect(await scheduledPayment('dsp-new-key')).toEqual({ status: 'ACSP', sent: true });
    expect(await bookings('dsp-new-key')).toBe(1);
  });

  it('cancels a run held for review and never sent with its standing order: CANC, its review withdrawn, nothing for an admin or the deadline to decide', async () => {
    await standingOrder('dso-held-unsent', '22.00', '2031-01-12T08:00:00+00:00', 'YEAR', { nextRunIndex: 1, nextRunAt: '2032-01-12T08:00:00Z' });
    await db.dataSource.query(
      `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, status_update_date_time)
       VALUES ('dso-held-unsent', 0, 'dso-held-unsent-run-0', '2031-01-12T08:00:00Z', 22, 'GBP', 'PDNG', now())`,
    );
    await hold('dso-held-unsent-run-0', 'domestic-standing-order', 'pmc-dso-held-unsent', '22.00', now);

    await cancelStandingOrder(db.dataSource, { standingOrderId: 'dso-held-unsent', psuId: probe.psu_id });
    // Until 7 December 2026 the run stayed PDNG in the review queue, and the deadline rejected it FR01.
    expect(await orderOf('dso-held-unsent')).toEqual({ status: 'CANC', next_run_index: 1 });
    expect(await run('dso-held-unsent-run-0')).toEqual({ status: 'CANC', sent: false });
    expect(await reviewOf('dso-held-unsent-run-0')).toEqual({ review_status: 'withdrawn', paid: false });
    expect(await eventsOf('dso-held-unsent-run-0')).toEqual([{ to: 'CANC', kind: 'domestic-standing-order', actor: probe.psu_id }]);
    await expect(release('dso-held-unsent-run-0')).rejects.toThrow();
    await expireHeldPayments(db.dataSource, new Date(now.getTime() + 30 * 86_400_000), 60);
    expect(await run('dso-held-unsent-run-0')).toEqual({ status: 'CANC', sent: false });
    expect(await bookings('dso-held-unsent-run-0')).toBe(0);
  });

  it('the migration marks what earlier code sent and left unrecorded: a scheduled payment, a standing-order run, and a held one a release debited', async () => {
    // Its job stops: these rows are the ones earlier code left, and the migration is run on them by hand.
    await worker.close();
    await scheduled('m-dsp', '11.00', '2031-03-01T08:00:00+00:00');
    await standingOrder('m-dso', '12.00', '2031-03-01T08:00:00+00:00', 'WEEK', { nextRunIndex: 0, nextRunAt: '2031-03-01T08:00:00Z' });
    await db.dataSource.query(
      `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, status_update_date_time)
       VALUES ('m-dso', 0, 'm-dso-run-0', '2031-03-01T08:00:00Z', 12, 'GBP', 'PDNG', now())`,
    );
    await scheduled('m-held', '13.00', '2031-03-01T08:00:00+00:00');
    await hold('m-held', 'domestic-scheduled-payment', 'pmc-m-held', '13.00');
    // Each sent to the bank, which debits it and whose answer is cut short, as the earlier code sent them (no mark).
    fault = { kind: 'cut' };
    for (const [paymentId, amount] of [['m-dsp', '11.00'], ['m-dso-run-0', '12.00'], ['m-held', '13.00']] as const) {
      await expect(bank().initiatePayment({ paymentId, debtorAccountId: probe.account_id, amount, currency: 'GBP', creditorAccount: { schemeName: PAYEE.SchemeName, identification: PAYEE.Identification, name: PAYEE.Name }, reference: paymentId, information: null })).rejects.toThrow();
      expect(await bookings(paymentId)).toBe(1);
    }
    await db.dataSource.query(`UPDATE domestic_payment SET sent_to_bank_at = NULL WHERE payment_id IN ('m-dsp', 'm-held')`);

    // Until 6 December 2026 the run stayed unmarked (its order cancellable, the run never recorded), and the
    // held one was left to the review deadline, which rejected it FR01 after the debit.
    const migration = MIGRATIONS.find((m) => m.name === 'SentToBank1765885000000')!;
    const runner = db.dataSource.createQueryRunner();
    try {
      await new migration().down(runner);
      await new migration().up(runner);
    } finally {
      await runner.release();
    }
    expect(await scheduledPayment('m-dsp')).toEqual({ status: 'PDNG', sent: true });
    expect(await run('m-dso-run-0')).toEqual({ status: 'PDNG', sent: true });
    expect(await scheduledPayment('m-held')).toEqual({ status: 'PDNG', sent: true });
    expect(await reviewOf('m-held')).toEqual({ review_status: 'released', paid: false });
    await expect(cancelScheduledPayment(db.dataSource, { paymentId: 'm-held', psuId: probe.psu_id })).rejects.toThrow('whose answer is awaited');
    expect(await expireHeldPayments(db.dataSource, new Date(Date.now() + 30 * 86_400_000), 60)).toBe(0);

    // The bank answers again: each is recorded once, its one debit.
    fault = null;
    const at = new Date('2031-03-01T09:00:00Z');
    expect(await executeDueScheduledPayments(db.dataSource, bank(), at, { approvals })).toEqual({ executed: 1, deferred: 0 });
    expect(await executeDueStandingOrderRuns(db.dataSource, bank(), at, { approvals })).toEqual({ executed: 1, deferred: 0 });
    expect(await redriveStrandedPayments(db.dataSource, bank(), new Date(Date.now() + 3_600_000), REDRIVE)).toEqual({ executed: 1, deferred: 0 });
    for (const paymentId of ['m-dsp', 'm-held']) expect(await scheduledPayment(paymentId)).toEqual({ status: 'ACSP', sent: true });
    expect(await run('m-dso-run-0')).toEqual({ status: 'ACSP', sent: true });
    for (const paymentId of ['m-dsp', 'm-dso-run-0', 'm-held']) expect(await bookings(paymentId)).toBe(1);
  });
});
