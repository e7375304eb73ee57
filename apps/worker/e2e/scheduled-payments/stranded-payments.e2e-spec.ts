import type { AuditEventInput } from '@consentry/audit';
import { AggregatedBank, HttpBankConnector, SandboxLedgerConnector } from '@consentry/banking';
import type { ConnectorServer, FaultyAnswer } from '@consentry/banking/test-support';
import { bankOutcomeWrites, expireHeldPayments, PaymentApprovalSeal, redriveStrandedPayments, ReviewHeldPayment } from '@consentry/consents';
import { writeTogether } from '@consentry/database';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { RunningWorker } from '../../src/worker.bootstrap.js';
import { approvalSealOf, type ApprovedConsentRow } from '../support/approval-seal.js';
import { DyingBank } from '../support/dying-bank.js';
import { type Debtor, probeAndLocalDebtors, startWorkerWithProbeBank } from '../support/probe-bank.js';

const SECRETS_KEY = Buffer.alloc(32, 0x5e);
const WAIT = { timeout: 20_000, interval: 100 };
const UPSTREAM = 'probe-http';
const UPSTREAM_TOKEN = 'probe-upstream-secret-stranded-0123';
const REDRIVE_AFTER_SECONDS = 120;
const keys = new EnvironmentKeyManagement(SECRETS_KEY);
const PAYEE = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400455556666', Name: 'Corner Shop' };

/**
 * Immediate payments and VRPs the API accepted (PDNG) whose bank outcome never reached the database: the
 * bank debited and its answer was lost, or the API's process died before the debit. Until 6 December 2026
 * they stayed PDNG for good (manual reconciliation); the worker now asks the bank again after
 * PAYMENT_REDRIVE_AFTER_SECONDS, with the same payment id, so a debit is recorded once and a missing one
 * is made, each with its one status event. Rows are written as the API writes them, with the clock moved
 * by hand (the worker's injected clock).
 */
describe('stranded payments: the worker asks the bank again for accepted orders whose outcome never came back', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let worker: RunningWorker;
  let upstream: ConnectorServer;
  let fault: FaultyAnswer | null = { kind: 'cut' };
  let probeCalls = 0;
  let clientId: string;
  let probe: Debtor;
  let local: Debtor;
  const accepted = new Date(Date.now() - 60_000);
  let now = new Date(accepted.getTime() + 10_000);

  const statusOf = async (table: 'domestic_payment' | 'vrp_payment', paymentId: string): Promise<{ status: string; status_reason: string | null }> =>
    (await db.dataSource.query(`SELECT status, status_reason FROM ${table} WHERE payment_id = $1`, [paymentId]))[0];
  const bookings = async (paymentId: string): Promise<number> =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE transaction_id = $1`, [paymentId]))[0].n;
  const balanceOf = async (accountId: string): Promise<string> =>
    (await db.dataSource.query(`SELECT amount::numeric(18,2)::text AS amount FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [accountId]))[0].amount;
  const eventsOf = async (paymentId: string): Promise<Array<{ to: string; kind: string; psu: string | null; actor: string }>> =>
    db.dataSource.query(
      // An event is in the outbox until the chain writer moves it to the log (one statement): one query reads both.
      `SELECT event->'data'->>'to' AS to, event->'data'->>'kind' AS kind, event->>'psuId' AS psu, event->'actor'->>'id' AS actor
         FROM audit_outbox WHERE event->>'type' = 'payment.status-changed' AND event->'data'->>'paymentId' = $1
       UNION ALL
       SELECT event->'data'->>'to', event->'data'->>'kind', event->>'psuId', event->'actor'->>'id'
         FROM audit_log WHERE event_type = 'payment.status-changed' AND event->'data'->>'paymentId' = $1`,
      [paymentId],
    );

  const insertConsent = async (row: Omit<ApprovedConsentRow, 'clientId'>, status: string, created: Date): Promise<void> => {
    await db.dataSource.query(
      `INSERT INTO payment_consent (consent_id, kind, client_id, psu_id, status, initiation, control_parameters, risk, debtor_account_id, initiation_hash, creation_date_time, status_update_date_time)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, '{}', $8, $9, $10, $10)`,
      [
        row.consentId,
        row.kind,
        clientId,
        row.psuId,
        status,
        JSON.stringify(row.initiation),
        row.vrp ? JSON.stringify(row.vrp.controlParameters) : null,
        row.debtorAccountId,
        approvalSealOf(SECRETS_KEY, { ...row, clientId }),
        created,
      ],
    );
  };

  /** An immediate domestic payment as the API stages it: its consent consumed (COND), the order PDNG. */
  const stageDomesticPayment = async (paymentId: string, debtor: Debtor, amount: string, stored: { amount?: string } = {}): Promise<void> => {
    const initiation = {
      InstructionIdentification: `I-${paymentId}`,
      EndToEndIdentification: paymentId,
      InstructedAmount: { Amount: amount, Currency: 'GBP' },
      CreditorAccount: PAYEE,
    };
    await insertConsent({ consentId: `pmc-${paymentId}`, kind: 'domestic-payment', psuId: debtor.psu_id, debtorAccountId: debtor.account_id, initiation }, 'COND', accepted);
    const order = stored.amount ? { ...initiation, InstructedAmount: { Amount: stored.amount, Currency: 'GBP' } } : initiation;
    await db.dataSource.query(
      `INSERT INTO domestic_payment (payment_id, consent_id, client_id, status, initiation, debtor_account_id, creation_date_time, status_update_date_time)
       VALUES ($1, $2, $3, 'PDNG', $4::jsonb, $5, $6, $6)`,
      [paymentId, `pmc-${paymentId}`, clientId, JSON.stringify(order), debtor.account_id, accepted],
    );
  };

  const vrpConsentId = 'vrpc-stranded';
  const vrpInitiation = { CreditorAccount: PAYEE };
  /** A VRP as the API stages it under the one AUTH VRP consent: PDNG, counted against its limits. */
  const stageVrp = async (paymentId: string, amount: string, at: Date): Promise<void> => {
    await db.dataSource.query(
      `INSERT INTO vrp_payment (payment_id, consent_id, client_id, status, vrp_type, amount, currency, initiation, instruction, risk, psu_authentication_method,
                                debtor_account_id, creation_date_time, status_update_date_time)
       VALUES ($1, $2, $3, 'PDNG', 'UK.OBIE.VRPType.Other', $4, 'GBP', $5::jsonb, $6::jsonb, '{}', 'UK.OBIE.SCA', $7, $8, $8)`,
      [
        paymentId,
        vrpConsentId,
        clientId,
        amount,
        JSON.stringify(vrpInitiation),
        JSON.stringify({ InstructionIdentification: `I-${paymentId}`, EndToEndIdentification: paymentId, InstructedAmount: { Amount: amount, Currency: 'GBP' }, CreditorAccount: PAYEE }),
        local.account_id,
        at,
      ],
    );
  };

  beforeAll(async () => {
    db = await createTestDatabase('stranded_payments');
    redis = createTestRedis('stranded-payments');
    const sandbox = await seedSandbox(db.dataSource, { keys, seed: 8, transactionsPerAccount: 1 });
    clientId = sandbox.tpp.client_id;
    // The first PSU's account is held at a bank reached over HTTP, the second's at the built-in ledger.
    ({ probe, local } = await probeAndLocalDebtors(db, [sandbox.psus[0]!.username, sandbox.psus[1]!.username], UPSTREAM));

    // At the probe bank: a payment whose bank debits it and whose answer is lost (cut short) until `fault` clears.
    await stageDomesticPayment('pay-probe-lost-answer', probe, '30.00');
    // At the built-in ledger: a payment never sent (its request died), one short of funds, one whose row was altered after it was accepted.
    await stageDomesticPayment('pay-local-never-sent', local, '20.00');
    await stageDomesticPayment('pay-local-short', local, '900.00');
    await stageDomesticPayment('pay-local-altered', local, '5.00', { amount: '15.00' });
    await stageDomesticPayment('pay-local-too-old', local, '4.00');
    await db.dataSource.query(`UPDATE domestic_payment SET creation_date_time = creation_date_time - interval '25 hours' WHERE payment_id = 'pay-local-too-old'`);
    // An account at a bank the API reaches (connector ghost-http) and this worker is not configured for.
    await db.dataSource.query(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ('ghost-bank', 'Ghost Bank', 'ghost-http')`);
    const [ghost] = await db.dataSource.query(
      `SELECT a.account_id, a.psu_id FROM account a WHERE a.psu_id = $1 AND a.account_id <> $2 AND a.currency = 'GBP' ORDER BY a.account_id LIMIT 1`,
      [local.psu_id, local.account_id],
    );
    await db.dataSource.query(`UPDATE account SET aspsp_id = 'ghost-bank' WHERE account_id = $1`, [ghost.account_id]);
    await stageDomesticPayment('pay-ghost-bank', ghost, '2.00');
    const consentCreated = new Date(accepted.getTime() - 3_600_000);
    await insertConsent(
      {
        consentId: vrpConsentId,
        kind: 'domestic-vrp',
        psuId: local.psu_id,
        debtorAccountId: local.account_id,
        initiation: vrpInitiation,
        vrp: {
          controlParameters: {
            VRPType: ['UK.OBIE.VRPType.Other'],
            PSUAuthenticationMethods: ['UK.OBIE.SCA'],
            MaximumIndividualAmount: { Amount: '50.00', Currency: 'GBP' },
            PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP' }],
          },
          creationDateTime: consentCreated,
        },
      },
      'AUTH',
      consentCreated,
    );
    await stageVrp('vrp-never-sent', '7.00', accepted);
    // Counted against its limits as 8.00, its Instruction then rewritten to 48.00 in the database.
    await stageVrp('vrp-instruction-altered', '8.00', accepted);
    await db.dataSource.query(
      `UPDATE vrp_payment SET instruction = jsonb_set(instruction, '{InstructedAmount,Amount}', '"48.00"') WHERE payment_id = 'vrp-instruction-altered'`,
    );
    // Its payee renamed in the database (the same scheme and number): another payee than the PSU approved.
    await stageVrp('vrp-payee-renamed', '6.00', accepted);
    await db.dataSource.query(`UPDATE vrp_payment SET instruction = jsonb_set(instruction, '{CreditorAccount,Name}', '"Mallory Ltd"') WHERE payment_id = 'vrp-payee-renamed'`);
    // Held for review: the review decides, never the re-drive.
    await stageVrp('vrp-held', '9.00', accepted);
    await db.dataSource.query(
      `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, psu_id, debtor_account_id, creditor_key, amount, currency, decision, score, rules, assessed_at, review_status,
                                            tpp_stripe, tpp_running_payments, tpp_running_amount, account_stripe, account_running_payments, account_running_amount)
       VALUES ('vrp-held', 'domestic-vrp', $1, $2, $3, $4, 'x', 9, 'GBP', 'hold', 80, '[]', $5, 'held', 0, 1, 9, 0, 1, 9)`,
      [vrpConsentId, clientId, local.psu_id, local.account_id, accepted],
    );

    ({ upstream, worker } = await startWorkerWithProbeBank({
      db,
      redis,
      keys,
      secretsKey: SECRETS_KEY,
      connector: UPSTREAM,
      token: UPSTREAM_TOKEN,
      faulty: () => {
        probeCalls += 1;
        return fault;
      },
      clock: () => now,
      env: { PAYMENT_REDRIVE_AFTER_SECONDS: String(REDRIVE_AFTER_SECONDS) },
    }));
  });

  afterAll(async () => {
    await worker?.close().catch(() => undefined);
    await upstream?.close();
    await db?.drop();
    await redis?.cleanup();
  });

  it('leaves an order alone while its request may still be answering it (PAYMENT_REDRIVE_AFTER_SECONDS)', async () => {
    // Several runs of the job at 10 s after acceptance: nothing sent, nothing changed.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(probeCalls).toBe(0);
    expect(await statusOf('domestic_payment', 'pay-local-never-sent')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await statusOf('vrp_payment', 'vrp-never-sent')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await balanceOf(local.account_id)).toBe('100.00');
  });

  it('debits an order its bank never saw, records a bank refusal and refuses an altered order, each with one event naming the PSU', async () => {
    now = new Date(accepted.getTime() + (REDRIVE_AFTER_SECONDS + 1) * 1000);
    await vi.waitFor(async () => expect(await statusOf('domestic_payment', 'pay-local-never-sent')).toEqual({ status: 'ACSP', status_reason: null }), WAIT);
    await vi.waitFor(async () => expect(await statusOf('vrp_payment', 'vrp-never-sent')).toEqual({ status: 'ACSP', status_reason: null }), WAIT);
    await vi.waitFor(async () => expect(await statusOf('domestic_payment', 'pay-local-short')).toEqual({ status: 'RJCT', status_reason: 'AM04' }), WAIT);
    // Its stored order says 15.00 where its PSU approved 5.00, and a VRP's Instruction was rewritten: never
    // sent, and never rejected either (the bank may hold them debited): PDNG for an operator, no event.
    expect(await statusOf('domestic_payment', 'pay-local-altered')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await bookings('pay-local-altered')).toBe(0);
    expect(await eventsOf('pay-local-altered')).toEqual([]);
    expect(await statusOf('vrp_payment', 'vrp-instruction-altered')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await bookings('vrp-instruction-altered')).toBe(0);
    // Until 6 December 2026 the payee was compared by scheme and number alone, and this one was paid.
    expect(await statusOf('vrp_payment', 'vrp-payee-renamed')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await bookings('vrp-payee-renamed')).toBe(0);
    // A bank this worker has no connector for: unknown here, so PDNG (never AC06); one accepted too long ago: left alone.
    expect(await statusOf('domestic_payment', 'pay-ghost-bank')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await statusOf('domestic_payment', 'pay-local-too-old')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await bookings('pay-local-too-old')).toBe(0);
    expect(await bookings('pay-local-short')).toBe(0);
    expect(await bookings('pay-local-never-sent')).toBe(1);
    expect(await bookings('vrp-never-sent')).toBe(1);
    // 100 - 20.00 - 7.00, and nothing else.
    expect(await balanceOf(local.account_id)).toBe('73.00');
    const [vrp] = await db.dataSource.query(`SELECT ledger_transaction_id FROM vrp_payment WHERE payment_id = 'vrp-never-sent'`);
    expect(vrp.ledger_transaction_id).toBe('vrp-never-sent');
    expect(await eventsOf('vrp-never-sent')).toEqual([{ to: 'ACSP', kind: 'domestic-vrp', psu: local.psu_id, actor: 'payment-redrive' }]);
    expect(await eventsOf('pay-local-short')).toEqual([{ to: 'RJCT', kind: 'domestic-payment', psu: local.psu_id, actor: 'payment-redrive' }]);
    // The held VRP waits for its review.
    expect(await statusOf('vrp_payment', 'vrp-held')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await bookings('vrp-held')).toBe(0);
    expect(await eventsOf('vrp-held')).toEqual([]);
  });

  it('keeps asking a bank whose answer is lost, debits it once, and records it once the answer comes', async () => {
    await vi.waitFor(() => expect(probeCalls).toBeGreaterThan(2), WAIT);
    // The bank took the money on the first call; the outcome is unknown here: PDNG, no event.
    expect(await statusOf('domestic_payment', 'pay-probe-lost-answer')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await bookings('pay-probe-lost-answer')).toBe(1);
    expect(await eventsOf('pay-probe-lost-answer')).toEqual([]);

    fault = null;
    await vi.waitFor(async () => expect(await statusOf('domestic_payment', 'pay-probe-lost-answer')).toEqual({ status: 'ACSP', status_reason: null }), WAIT);
    expect(await bookings('pay-probe-lost-answer')).toBe(1);
    expect(await balanceOf(probe.account_id)).toBe('70.00');
    expect(await eventsOf('pay-probe-lost-answer')).toEqual([{ to: 'ACSP', kind: 'domestic-payment', psu: probe.psu_id, actor: 'payment-redrive' }]);
  });

  it('keeps the re-drive’s outcome when the API’s own late write of an outcome comes after it: no second status, no second event', async () => {
    const late: AuditEventInput = {
      type: 'payment.status-changed',
      actor: { type: 'system', id: 'payment-execution' },
      clientId,
      consentId: vrpConsentId,
      data: { paymentId: 'vrp-never-sent', kind: 'domestic-vrp', from: 'PDNG', to: 'RJCT', statusReason: 'AM04' },
    };
    await writeTogether(
      db.dataSource,
      bankOutcomeWrites(
        'vrp_payment',
        'vrp-never-sent',
        { status: 'RJCT', statusReason: 'AM04', statusReasonDescription: 'Insufficient funds', ledgerTransactionId: null, statusUpdateDateTime: new Date() },
        late,
      ),
    );
    expect(await statusOf('vrp_payment', 'vrp-never-sent')).toEqual({ status: 'ACSP', status_reason: null });
    expect(await eventsOf('vrp-never-sent')).toEqual([{ to: 'ACSP', kind: 'domestic-vrp', psu: local.psu_id, actor: 'payment-redrive' }]);
  });
  it('asks a bank found down once per run: its other stranded orders wait for the next run untried', async () => {
    // The worker's job stops, so the calls counted here are this run's alone.
    await worker.close();
    for (const id of ['pay-probe-down-1', 'pay-probe-down-2', 'pay-probe-down-3']) await stageDomesticPayment(id, probe, '1.00');
    // Instants finer than a millisecond (as a restore or a hand-made row may hold), read two a page: the
    // keyset must still move past them.
    await db.dataSource.query(`UPDATE domestic_payment SET creation_date_time = creation_date_time + interval '456 microseconds' WHERE payment_id LIKE 'pay-probe-down-%'`);
    fault = { kind: 'html' };
    const calls = probeCalls;
    const bank = new AggregatedBank(db.dataSource, [
      new SandboxLedgerConnector(db.dataSource, keys),
      new HttpBankConnector({ name: UPSTREAM, baseUrl: upstream.url, token: UPSTREAM_TOKEN }),
    ]);
    const options = { approvals: new PaymentApprovalSeal([{ kid: 'default', key: SECRETS_KEY }]), afterSeconds: REDRIVE_AFTER_SECONDS, maxAgeHours: 24 };
    const run = await redriveStrandedPayments(db.dataSource, bank, now, { ...options, batchSize: 2 });
    // The three at the down bank, and the altered three and the ghost bank's left for an operator.
    expect(run).toEqual({ executed: 0, deferred: 7 });
    expect(probeCalls - calls).toBe(1);
    for (const id of ['pay-probe-down-1', 'pay-probe-down-2', 'pay-probe-down-3']) expect(await statusOf('domestic_payment', id)).toEqual({ status: 'PDNG', status_reason: null });

    // Back up: the next run pays each of them.
    fault = null;
    expect(await redriveStrandedPayments(db.dataSource, bank, now, { ...options, batchSize: 2 })).toEqual({ executed: 3, deferred: 4 });
    expect(await balanceOf(probe.account_id)).toBe('67.00');
  });
  it('a held payment released while its bank’s answer is lost stays released and PDNG, the review deadline rejects nothing, and the re-drive records it once', async () => {
    await stageDomesticPayment('pay-probe-held', probe, '6.00');
    await db.dataSource.query(
      `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, psu_id, debtor_account_id, creditor_key, amount, currency, decision, score, rules, assessed_at, review_status,
                                            tpp_stripe, tpp_running_payments, tpp_running_amount, account_stripe, account_running_payments, account_running_amount)
       VALUES ('pay-probe-held', 'domestic-payment', 'pmc-pay-probe-held', $1, $2, $3, 'x', 6, 'GBP', 'hold', 80, '[]', $4, 'held', 0, 1, 6, 0, 1, 6)`,
      [clientId, probe.psu_id, probe.account_id, accepted],
    );
    const bank = new AggregatedBank(db.dataSource, [
      new SandboxLedgerConnector(db.dataSource, keys),
      new HttpBankConnector({ name: UPSTREAM, baseUrl: upstream.url, token: UPSTREAM_TOKEN }),
    ]);
    const approvals = new PaymentApprovalSeal([{ kid: 'default', key: SECRETS_KEY }]);
    // The bank debits it and its answer is cut short: the release stands, the outcome unknown.
    fault = { kind: 'cut' };
    const released = await new ReviewHeldPayment(db.dataSource, bank, approvals, 60).release({ paymentId: 'pay-probe-held', adminId: 'admin-1', reason: 'Checked with the customer', fourEyes: false });
    expect(released).toEqual({ outcome: 'released', paymentId: 'pay-probe-held', status: 'PDNG', statusReason: null });
    expect(await bookings('pay-probe-held')).toBe(1);
    // Its review deadline passes: nothing left to reject (until 6 December 2026: RJCT FR01, debited).
    // (The suite's held VRP, still in the queue, is the one the sweep rejects.)
    expect(await expireHeldPayments(db.dataSource, new Date(Date.now() + 30 * 86_400_000), 60)).toBe(1);
    expect(await statusOf('vrp_payment', 'vrp-held')).toEqual({ status: 'RJCT', status_reason: 'FR01' });
    expect(await statusOf('domestic_payment', 'pay-probe-held')).toEqual({ status: 'PDNG', status_reason: null });

    fault = null;
    const run = await redriveStrandedPayments(db.dataSource, bank, now, { approvals, afterSeconds: REDRIVE_AFTER_SECONDS, maxAgeHours: 24 });
    expect(run.executed).toBe(1);
    expect(await statusOf('domestic_payment', 'pay-probe-held')).toEqual({ status: 'ACSP', status_reason: null });
    expect(await bookings('pay-probe-held')).toBe(1);
    expect(await eventsOf('pay-probe-held')).toEqual([{ to: 'ACSP', kind: 'domestic-payment', psu: probe.psu_id, actor: 'payment-redrive' }]);
    const [review] = await db.dataSource.query(`SELECT review_status, paid FROM payment_risk_assessment WHERE payment_id = 'pay-probe-held'`);
    expect(review).toEqual({ review_status: 'released', paid: true });

    // A held scheduled payment's release without an answer stands too (until 6 December 2026 it was refused
    // and left held, debited, for the PSU to cancel or the deadline to reject: unknown-outcome.e2e-spec.ts).
    await stageDomesticPayment('pay-probe-held-scheduled', probe, '5.00');
    await db.dataSource.query(`UPDATE domestic_payment SET requested_execution_date_time = $2 WHERE payment_id = $1`, ['pay-probe-held-scheduled', accepted]);
    await db.dataSource.query(
      `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, psu_id, debtor_account_id, creditor_key, amount, currency, decision, score, rules, assessed_at, review_status,
                                            tpp_stripe, tpp_running_payments, tpp_running_amount, account_stripe, account_running_payments, account_running_amount)
       VALUES ('pay-probe-held-scheduled', 'domestic-scheduled-payment', 'pmc-pay-probe-held-scheduled', $1, $2, $3, 'x', 5, 'GBP', 'hold', 80, '[]', now(), 'held', 0, 1, 5, 0, 1, 5)`,
      [clientId, probe.psu_id, probe.account_id],
    );
    fault = { kind: 'cut' };
    expect(
      await new ReviewHeldPayment(db.dataSource, bank, approvals, 60).release({ paymentId: 'pay-probe-held-scheduled', adminId: 'admin-1', reason: 'Checked with the customer', fourEyes: false }),
    ).toEqual({ outcome: 'released', paymentId: 'pay-probe-held-scheduled', status: 'PDNG', statusReason: null });
    fault = null;
    const [scheduledReview] = await db.dataSource.query(`SELECT review_status FROM payment_risk_assessment WHERE payment_id = 'pay-probe-held-scheduled'`);
    expect(scheduledReview).toEqual({ review_status: 'released' });
    expect(await statusOf('domestic_payment', 'pay-probe-held-scheduled')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await bookings('pay-probe-held-scheduled')).toBe(1);
  });

  it('a release whose bank call fails with a defect (not an outage) after the debit answers released and PDNG, not an error, and the re-drive records it once', async () => {
    await stageDomesticPayment('pay-probe-held-defect', probe, '4.00');
    await db.dataSource.query(
      `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, psu_id, debtor_account_id, creditor_key, amount, currency, decision, score, rules, assessed_at, review_status,
                                            tpp_stripe, tpp_running_payments, tpp_running_amount, account_stripe, account_running_payments, account_running_amount)
       VALUES ('pay-probe-held-defect', 'domestic-payment', 'pmc-pay-probe-held-defect', $1, $2, $3, 'x', 4, 'GBP', 'hold', 80, '[]', now(), 'held', 0, 1, 4, 0, 1, 4)`,
      [clientId, probe.psu_id, probe.account_id],
    );
    const approvals = new PaymentApprovalSeal([{ kid: 'default', key: SECRETS_KEY }]);
    // The probe bank debits, then its connector throws an Error of no outage kind (until 7 December 2026
    // the admin's release answered 500, though it had committed and the debit was made).
    const defective = new AggregatedBank(db.dataSource, [new SandboxLedgerConnector(db.dataSource, keys), new DyingBank(db.dataSource, keys, UPSTREAM)]);
    const released = await new ReviewHeldPayment(db.dataSource, defective, approvals, 60).release({
      paymentId: 'pay-probe-held-defect',
      adminId: 'admin-1',
      reason: 'Checked with the customer',
      fourEyes: false,
    });
    expect(released).toEqual({ outcome: 'released', paymentId: 'pay-probe-held-defect', status: 'PDNG', statusReason: null });
    const [review] = await db.dataSource.query(`SELECT review_status, paid FROM payment_risk_assessment WHERE payment_id = 'pay-probe-held-defect'`);
    expect(review).toEqual({ review_status: 'released', paid: false });
    expect(await statusOf('domestic_payment', 'pay-probe-held-defect')).toEqual({ status: 'PDNG', status_reason: null });
    expect(await bookings('pay-probe-held-defect')).toBe(1);

    fault = null;
    const bank = new AggregatedBank(db.dataSource, [
      new SandboxLedgerConnector(db.dataSource, keys),
      new HttpBankConnector({ name: UPSTREAM, baseUrl: upstream.url, token: UPSTREAM_TOKEN }),
    ]);
    await redriveStrandedPayments(db.dataSource, bank, now, { approvals, afterSeconds: REDRIVE_AFTER_SECONDS, maxAgeHours: 24 });
    expect(await statusOf('domestic_payment', 'pay-probe-held-defect')).toEqual({ status: 'ACSP', status_reason: null });
    expect(await bookings('pay-probe-held-defect')).toBe(1);
  });

  it('re-drives a released payment whatever its age: the review may have lasted up to its timeout, past PAYMENT_REDRIVE_MAX_AGE_HOURS of the acceptance', async () => {
    // Accepted 23 h 58 min ago, held, released just now, and its bank's answer lost (here: never sent).
    await stageDomesticPayment('pay-released-late', probe, '2.00');
    await db.dataSource.query(`UPDATE domestic_payment SET creation_date_time = now() - interval '1438 minutes' WHERE payment_id = 'pay-released-late'`);
    await db.dataSource.query(
      `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, psu_id, debtor_account_id, creditor_key, amount, currency, decision, score, rules, assessed_at, review_status,
                                            tpp_stripe, tpp_running_payments, tpp_running_amount, account_stripe, account_running_payments, account_running_amount)
       VALUES ('pay-released-late', 'domestic-payment', 'pmc-pay-released-late', $1, $2, $3, 'x', 2, 'GBP', 'hold', 80, '[]', now() - interval '1438 minutes', 'released', 0, 1, 2, 0, 1, 2)`,
      [clientId, probe.psu_id, probe.account_id],
    );
    const bank = new AggregatedBank(db.dataSource, [
      new SandboxLedgerConnector(db.dataSource, keys),
      new HttpBankConnector({ name: UPSTREAM, baseUrl: upstream.url, token: UPSTREAM_TOKEN }),
    ]);
    // Five minutes on, past its 24 hours: until 6 December 2026 the re-drive stopped at the acceptance's 24 hours and left it unrecorded.
    const later = new Date(Date.now() + 5 * 60_000);
    const options = { approvals: new PaymentApprovalSeal([{ kid: 'default', key: SECRETS_KEY }]), afterSeconds: REDRIVE_AFTER_SECONDS, maxAgeHours: 24 };
    await redriveStrandedPayments(db.dataSource, bank, later, options);
    expect(await statusOf('domestic_payment', 'pay-released-late')).toEqual({ status: 'ACSP', status_reason: null });
    expect(await bookings('pay-released-late')).toBe(1);
  });
});
