import { executeDueScheduledPayments, expireHeldPayments } from '@consentry/consents';
import { PaymentRiskEngine } from '@consentry/risk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { riskFiles, SMALL_NEW_PAYEE_HOLD_RULES } from '../support/risk-fixtures.js';

const REVIEWS = '/admin/payment-reviews';

/**
 * What an admin's review of a held payment meets besides the admin: the PSU stopping the consent while
 * the release debits, the review deadline (REVIEW_TIMEOUT_MINUTES) passing before anyone acts, and the PSU
 * cancelling a held scheduled payment. In each, the money and the audit trail tell the same story.
 */
describe('payment monitoring: a review against revocation, its deadline and the PSU’s cancel', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let files: Awaited<ReturnType<typeof riskFiles>>;
  let debtor: PsuAccount;
  let admin: Record<string, string>;

  beforeAll(async () => {
    files = await riskFiles(SMALL_NEW_PAYEE_HOLD_RULES, []);
    h = await ApiHarness.start('review_races_deadlines', files.env);
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice', 1);
    await fixtures.setBalance(debtor!.accountId, '1000.00');
    admin = { authorization: `Bearer ${await h.adminSession()}` };
  });
  afterAll(async () => {
    await h?.stop();
    await files?.remove();
  });

  function payee(identification: string, name: string): ObAccount {
    return { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: identification, Name: name };
  }

  function review(paymentId: string, decision: 'release' | 'reject'): Promise<CallResult> {
    return h.call('POST', `${REVIEWS}/${paymentId}/${decision}`, { headers: admin, body: { reason: 'Checked with the customer' } });
  }

  async function heldVrp(identification: string, reference: string): Promise<{ consentId: string; paymentId: string }> {
    const vrpPayee = payee(identification, `Payee ${reference}`);
    const { consentId, psuToken } = await fixtures.vrpConsent('alice', debtor!, vrpPayee);
    const made = await fixtures.vrp(psuToken, consentId, vrpPayee, '20.00', reference);
    expect(made.body.Data.Status).toBe('PDNG');
    return { consentId, paymentId: jsonString(made.body.Data.DomesticVRPId) };
  }

  /** The payment's status changes in the audit trail, oldest first. */
  async function statusChanges(paymentId: string): Promise<string[]> {
    const rows: Array<{ change: string }> = await h.dataSource.query(
      `SELECT concat(event->'actor'->>'type', ' ', event->'data'->>'from', '->', event->'data'->>'to') AS change FROM audit_outbox
        WHERE event->>'type' = 'payment.status-changed' AND event->'data'->>'paymentId' = $1 ORDER BY created_seq`,
      [paymentId],
    );
    return rows.map((row) => row.change);
  }

  async function queued(): Promise<string[]> {
    const listed = await h.call('GET', REVIEWS, { headers: admin });
    expect(listed.status).toBe(200);
    return listed.body.reviews.map((entry) => jsonString(entry.paymentId));
  }

  /** Backends of this suite's database waiting for a lock. */
  async function lockWaiters(): Promise<number> {
    const [row]: Array<{ n: number }> = await h.dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    return row!.n;
  }

  async function until(condition: () => Promise<boolean>): Promise<void> {
    // Up to 30 s: on a loaded machine a request takes its time to reach its lock wait.
    for (let attempt = 0; attempt < 1200; attempt++) {
      if (await condition()) return;
      await new Promise((wait) => setTimeout(wait, 25));
    }
    throw new Error('the condition never held');
  }

  it('a revocation sent while a release is debiting waits for it: answered after the payment, never before one it did not stop', async () => {
    const { consentId, paymentId } = await heldVrp('40000060000001', 'RACE-REVOKE');
    const before = Number(await fixtures.available(debtor!.accountId));
    // The bank is slow: the debit waits for this transaction's lock on the account's balances.
    const slowBank = h.dataSource.createQueryRunner();
    await slowBank.connect();
    await slowBank.startTransaction();
    await slowBank.query(`SELECT 1 FROM balance WHERE account_id = $1 FOR UPDATE`, [debtor!.accountId]);
    const answered: string[] = [];
    try {
      const release = review(paymentId, 'release').then((result) => (answered.push('release'), result));
      await until(async () => (await lockWaiters()) >= 1);
      const session = await h.customerSession('alice');
      const revoke = h.call('DELETE', `/customer/consents/${consentId}`, { headers: { authorization: `Bearer ${session}` } }).then((result) => (answered.push('revoke'), result));
      // The revocation either queues behind the release (two waiters) or, unguarded, is answered at once.
      await until(async () => answered.includes('revoke') || (await lockWaiters()) >= 2);
      expect(answered).toEqual([]);
      await slowBank.commitTransaction();
      const [released, revoked] = await Promise.all([release, revoke]);
      expect({ release: released.status, revoke: revoked.status, order: answered }).toEqual({ release: 200, revoke: 204, order: ['release', 'revoke'] });
    } finally {
      if (slowBank.isTransactionActive) await slowBank.rollbackTransaction();
      await slowBank.release();
    }
    expect(Number(await fixtures.available(debtor!.accountId))).toBe(before - 20);
    const [consent] = await h.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(consent.status).toBe('CANC');
  });

  it('a revocation sent while a release decides waits for the decision and the debit after it, though they are two transactions', async () => {
    const { consentId, paymentId } = await heldVrp('40000060000002', 'GAP-REVOKE');
    const before = Number(await fixtures.available(debtor!.accountId));
    // The release's decision pauses as it writes `released` (its consent share-locked), until this test's
    // advisory lock opens: the revocation comes in while it decides. Until 7 December 2026 the revocation
    // queued on the consent's row, took it the moment the decision committed, and was answered 204 before
    // the second transaction debited the VRP under the ended consent.
    await h.dataSource.query(`CREATE FUNCTION test_release_gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(7120701); RETURN NEW; END $$`);
    await h.dataSource.query(`CREATE TRIGGER test_release_gate BEFORE UPDATE ON payment_risk_assessment FOR EACH ROW
      WHEN (OLD.review_status IS DISTINCT FROM 'released' AND NEW.review_status = 'released') EXECUTE FUNCTION test_release_gate()`);
    const gate = h.dataSource.createQueryRunner();
    await gate.connect();
    await gate.query(`SELECT pg_advisory_lock(7120701)`);
    const answered: string[] = [];
    try {
      const release = review(paymentId, 'release').then((result) => (answered.push('release'), result));
      await until(async () => (await lockWaiters()) >= 1);
      const session = await h.customerSession('alice');
      const revoke = h.call('DELETE', `/customer/consents/${consentId}`, { headers: { authorization: `Bearer ${session}` } }).then((result) => (answered.push('revoke'), result));
      await until(async () => answered.includes('revoke') || (await lockWaiters()) >= 2);
      expect(answered).toEqual([]);
      await gate.query(`SELECT pg_advisory_unlock(7120701)`);
      const [released, revoked] = await Promise.all([release, revoke]);
      expect({ release: released.status, revoke: revoked.status, order: answered }).toEqual({ release: 200, revoke: 204, order: ['release', 'revoke'] });
    } finally {
      await gate.release();
      await h.dataSource.query(`DROP TRIGGER test_release_gate ON payment_risk_assessment`);
      await h.dataSource.query(`DROP FUNCTION test_release_gate()`);
    }
    expect(Number(await fixtures.available(debtor!.accountId))).toBe(before - 20);
    // The trail says the same: paid, then revoked.
    const trail: Array<{ type: string }> = await h.dataSource.query(
      `SELECT event->>'type' AS type FROM audit_outbox
        WHERE (event->>'type' = 'consent.revoked' AND event->>'consentId' = $2) OR (event->>'type' = 'payment.status-changed' AND event->'data'->>'paymentId' = $1)
        ORDER BY created_seq`,
      [paymentId, consentId],
    );
    expect(trail.map((entry) => entry.type)).toEqual(['payment.status-changed', 'consent.revoked']);
  });

  it('a hold past its review deadline is not released (409, nothing debited); it can still be rejected', async () => {
    const { paymentId } = await heldVrp('40000060000002', 'PAST-DEADLINE');
    const before = await fixtures.available(debtor!.accountId);
    // REVIEW_TIMEOUT_MINUTES is a day by default; the review-expiry sweep has not run yet.
    await h.dataSource.query(`UPDATE payment_risk_assessment SET assessed_at = now() - interval '3 days' WHERE payment_id = $1`, [paymentId]);

    const refused = await review(paymentId, 'release');
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual(expect.objectContaining({ message: expect.stringContaining('review deadline') }));
    expect(await fixtures.available(debtor!.accountId)).toBe(before);
    expect(await statusChanges(paymentId)).toEqual([]);
    const rejected = await review(paymentId, 'reject');
    expect(rejected.body).toEqual(expect.objectContaining({ outcome: 'rejected', status: 'RJCT' }));
    expect(await statusChanges(paymentId)).toEqual(['admin PDNG->RJCT']);
  });

  it('a held scheduled payment the PSU cancels leaves the queue; no review or expiry then records a rejection it never had', async () => {
    const runAt = new Date(Date.now() + 2 * 24 * 3600_000);
    const { paymentId } = await fixtures.scheduledPayment(debtor!, payee('40000060000003', 'Scheduled New Payee'), '30.00', runAt.toISOString().replace(/\.\d{3}Z$/, '+00:00'));
    const risk = PaymentRiskEngine.load({ rulesFile: files.env.RISK_RULES_FILE!, denyListFile: files.env.RISK_DENY_LIST_FILE! });
    await executeDueScheduledPayments(h.dataSource, h.bank(), runAt, { approvals: h.approvals(), risk });
    expect(await queued()).toContain(paymentId);

    const session = await h.customerSession('alice');
    const cancelled = await h.call('DELETE', `/customer/scheduled-payments/${paymentId}`, { headers: { authorization: `Bearer ${session}` } });
    expect(cancelled.status).toBe(204);
    expect(await queued()).not.toContain(paymentId);
    expect((await review(paymentId, 'reject')).status).toBe(409);
    expect((await review(paymentId, 'release')).status).toBe(409);
    await expireHeldPayments(h.dataSource, new Date(Date.now() + 30 * 24 * 3600_000), 1);
    expect(await statusChanges(paymentId)).toEqual(['psu PDNG->CANC']);
    const [row] = await h.dataSource.query(`SELECT status FROM domestic_payment WHERE payment_id = $1`, [paymentId]);
    expect(row.status).toBe('CANC');
  });

  it('a cancel that meets a hold written while it waited, the hold under an admin’s review, answers 409 at once and changes nothing', async () => {
    const runAt = new Date(Date.now() + 2 * 24 * 3600_000);
    const { paymentId } = await fixtures.scheduledPayment(debtor!, payee('40000060000004', 'Scheduled Raced Payee'), '30.00', runAt.toISOString().replace(/\.\d{3}Z$/, '+00:00'));
    const session = await h.customerSession('alice');
    // The worker's run holds the payment's row while it scores it.
    const worker = h.dataSource.createQueryRunner();
    const adminReview = h.dataSource.createQueryRunner();
    try {
      await worker.startTransaction();
      await worker.query(`SELECT 1 FROM domestic_payment WHERE payment_id = $1 FOR UPDATE`, [paymentId]);
      const waiters = await lockWaiters();
      // The PSU's cancel finds no review yet and waits for the payment's row.
      const cancelling = h.call('DELETE', `/customer/scheduled-payments/${paymentId}`, { headers: { authorization: `Bearer ${session}` } });
      await until(async () => (await lockWaiters()) > waiters);
      // The run holds the payment for review (committed apart here), and an admin opens that review at once.
      await h.dataSource.query(
        `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, psu_id, debtor_account_id, creditor_key, amount, currency, decision, score, rules, assessed_at, review_status,
                                              tpp_stripe, tpp_running_payments, tpp_running_amount, account_stripe, account_running_payments, account_running_amount)
         SELECT d.payment_id, 'domestic-scheduled-payment', d.consent_id, d.client_id, c.psu_id, d.debtor_account_id, 'raced', 30, 'GBP', 'hold', 80, '[]', now(), 'held', 0, 1, 30, 0, 1, 30
           FROM domestic_payment d JOIN payment_consent c ON c.consent_id = d.consent_id WHERE d.payment_id = $1`,
        [paymentId],
      );
      await adminReview.startTransaction();
      await adminReview.query(`SELECT 1 FROM payment_risk_assessment WHERE payment_id = $1 FOR UPDATE`, [paymentId]);
      await worker.commitTransaction();
      const cancelled = await cancelling;
      expect(cancelled.status).toBe(409);
      expect(JSON.stringify(cancelled.body)).toContain('being reviewed');
      await adminReview.rollbackTransaction();
    } finally {
      if (worker.isTransactionActive) await worker.rollbackTransaction();
      if (adminReview.isTransactionActive) await adminReview.rollbackTransaction();
      await worker.release();
      await adminReview.release();
    }
    // Nothing changed: the payment is pending, its review held, and no event says otherwise.
    const [row] = await h.dataSource.query(`SELECT d.status, r.review_status FROM domestic_payment d JOIN payment_risk_assessment r USING (payment_id) WHERE payment_id = $1`, [paymentId]);
    expect(row).toEqual({ status: 'PDNG', review_status: 'held' });
    expect(await statusChanges(paymentId)).toEqual([]);
    expect(await queued()).toContain(paymentId);
  });

  it('a review row left held for a payment no longer pending is closed without a false RJCT: the admin’s reject is 409, the sweep writes no event', async () => {
    const { paymentId } = await heldVrp('40000060000004', 'NO-LONGER-PENDING');
    // As a payment cancelled before reviews closed on a cancel: the review row still says held.
    await h.dataSource.query(`UPDATE vrp_payment SET status = 'CANC' WHERE payment_id = $1`, [paymentId]);
    expect((await review(paymentId, 'reject')).status).toBe(409);
    expect(await queued()).toContain(paymentId);
    await expireHeldPayments(h.dataSource, new Date(Date.now() + 30 * 24 * 3600_000), 1);
    expect(await queued()).not.toContain(paymentId);
    expect(await statusChanges(paymentId)).toEqual([]);
    const [row] = await h.dataSource.query(`SELECT status FROM vrp_payment WHERE payment_id = $1`, [paymentId]);
    expect(row.status).toBe('CANC');
  });
});
