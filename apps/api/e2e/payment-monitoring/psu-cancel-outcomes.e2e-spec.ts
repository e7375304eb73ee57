import { executeDueScheduledPayments, executeDueStandingOrderRuns, redriveStrandedPayments } from '@consentry/consents';
import { PaymentRiskEngine } from '@consentry/risk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { riskFiles, SMALL_NEW_PAYEE_HOLD_RULES } from '../support/risk-fixtures.js';

const PISP = '/open-banking/v4.0/pisp';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** What a PSU's cancel on the dashboard tells them, and what it leaves for the TPP. */
describe('PSU cancels: what they are told, what they can cancel, what the TPP reads after', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let files: Awaited<ReturnType<typeof riskFiles>>;
  let debtor: PsuAccount;
  let alice: string;
  let risk: PaymentRiskEngine;

  beforeAll(async () => {
    files = await riskFiles(SMALL_NEW_PAYEE_HOLD_RULES, []);
    h = await ApiHarness.start('psu_cancel_outcomes', files.env);
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice', 1);
    await fixtures.setBalance(debtor!.accountId, '5000.00');
    alice = `consentry-dashboard=${await h.customerSession('alice')}`;
    risk = PaymentRiskEngine.load({ rulesFile: files.env.RISK_RULES_FILE!, denyListFile: files.env.RISK_DENY_LIST_FILE! });
  });
  afterAll(async () => {
    await h?.stop();
    await files?.remove();
  });

  const payee = (identification: string, name: string): ObAccount => ({ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: identification, Name: name });
  const page = async (path: string): Promise<string> => (await fetch(`${h.api.url}${path}`, { headers: { cookie: alice }, redirect: 'manual' })).text();
  /** Posts the dashboard's cancel form for `path`, and follows its redirect to the page it lands on. */
  const cancelOnDashboard = async (path: string): Promise<{ location: string | null; shown: string }> => {
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page('/dashboard/payments'))![1]!;
    const posted = await fetch(`${h.api.url}${path}`, { method: 'POST', body: new URLSearchParams({ csrf }).toString(), headers: { ...FORM, cookie: alice }, redirect: 'manual' });
    const location = posted.headers.get('location');
    return { location, shown: location ? await page(location) : '' };
  };
  const orderStatus = async (orderId: string): Promise<string> =>
    ((await h.dataSource.query(`SELECT status FROM domestic_standing_order WHERE standing_order_id = $1`, [orderId])) as Array<{ status: string }>)[0]!.status;
  const runOf = async (orderId: string): Promise<string> =>
    ((await h.dataSource.query(`SELECT status FROM standing_order_run WHERE payment_id = $1`, [`${orderId}-run-0`])) as Array<{ status: string }>)[0]!.status;

  it('tells the PSU that a run already with the bank may still be paid, and pays it once the bank answers', async () => {
    const { orderId } = await fixtures.weeklyStandingOrder(debtor!, payee('40000062000001', 'Gym'), '5.00', '2049-02-03T08:00:00+00:00', 3);
    // As the worker leaves a run whose bank answer was lost: sent, unanswered.
    await h.dataSource.query(
      `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, status_update_date_time, sent_to_bank_at)
       VALUES ($1, 0, $2, '2049-02-03T08:00:00Z', 5, 'GBP', 'PDNG', now(), now() - interval '1 hour')`,
      [orderId, `${orderId}-run-0`],
    );
    const cancelled = await cancelOnDashboard(`/dashboard/payments/standing-orders/${orderId}/cancel`);
    expect(cancelled.location).toBe('/dashboard/payments?notice=cancelled_run_with_bank');
    expect(cancelled.shown).toContain('may still be made');
    expect(cancelled.shown).not.toContain('No payment will be made from it.');

    const before = Number(await fixtures.available(debtor!.accountId));
    await redriveStrandedPayments(h.dataSource, h.bank(), new Date(), { approvals: h.approvals(), afterSeconds: 0, maxAgeHours: 24 });
    expect(await runOf(orderId)).toBe('ACSP');
    expect(before - Number(await fixtures.available(debtor!.accountId))).toBeCloseTo(5, 5);

    // The customer API tells the PSU the same as the dashboard (it answered a bare 204 until 8 December 2026).
    const { orderId: viaApi } = await fixtures.weeklyStandingOrder(debtor!, payee('40000062000001', 'Gym'), '5.00', '2049-02-03T08:00:00+00:00', 3);
    await h.dataSource.query(
      `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, status_update_date_time, sent_to_bank_at)
       VALUES ($1, 0, $2, '2049-02-03T08:00:00Z', 5, 'GBP', 'PDNG', now(), now() - interval '1 hour')`,
      [viaApi, `${viaApi}-run-0`],
    );
    const session = { authorization: `Bearer ${await h.customerSession('alice')}` };
    const answered = await h.call('DELETE', `/customer/standing-orders/${viaApi}`, { headers: session });
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({ standingOrderId: viaApi, status: 'CANC', runWithBank: true });

    // Without a run at the bank, the notice promises no payment, as before.
    const { orderId: quiet } = await fixtures.weeklyStandingOrder(debtor!, payee('40000062000001', 'Gym'), '5.00', '2049-02-03T08:00:00+00:00', 3);
    expect((await cancelOnDashboard(`/dashboard/payments/standing-orders/${quiet}/cancel`)).location).toBe('/dashboard/payments?notice=cancelled');
  });

  it("lets the PSU cancel a standing order's last run held for review once every run was made (INCO)", async () => {
    // One run of 25.00 to a new payee: held, and the order, with no run left, INCO.
    const { orderId } = await fixtures.weeklyStandingOrder(debtor!, payee('40000062000002', 'One Off'), '25.00', '2049-03-01T08:00:00+00:00', 1);
    await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2049-03-01T08:00:00Z'), { approvals: h.approvals(), risk });
    expect(await h.dataSource.query(`SELECT status FROM domestic_standing_order WHERE standing_order_id = $1`, [orderId])).toEqual([{ status: 'INCO' }]);
    expect(await runOf(orderId)).toBe('PDNG');
    expect(await page('/dashboard/payments')).toContain(`/dashboard/payments/standing-orders/${orderId}/cancel`);

    const cancelled = await cancelOnDashboard(`/dashboard/payments/standing-orders/${orderId}/cancel`);
    expect(cancelled.location).toBe('/dashboard/payments?notice=cancelled');
    expect(await runOf(orderId)).toBe('CANC');
    expect(await h.dataSource.query(`SELECT review_status FROM payment_risk_assessment WHERE payment_id = $1`, [`${orderId}-run-0`])).toEqual([{ review_status: 'withdrawn' }]);
    // The order itself stays INCO, its one run made; nothing else is left to cancel.
    expect(await h.dataSource.query(`SELECT status FROM domestic_standing_order WHERE standing_order_id = $1`, [orderId])).toEqual([{ status: 'INCO' }]);
    expect((await cancelOnDashboard(`/dashboard/payments/standing-orders/${orderId}/cancel`)).location).toBe('/dashboard/payments?notice=not_cancellable');
  });

  it('turns an INCO order INFA when an admin rejects its held last run, and leaves it INCO when one releases it', async () => {
    const admin = { authorization: `Bearer ${await h.adminSession()}` };
    const heldLastRun = async (identification: string): Promise<string> => {
      const { orderId } = await fixtures.weeklyStandingOrder(debtor!, payee(identification, 'Held Last'), '25.00', '2049-04-01T08:00:00+00:00', 1);
      await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2049-04-01T08:00:00Z'), { approvals: h.approvals(), risk });
      expect(await orderStatus(orderId)).toBe('INCO');
      expect(await runOf(orderId)).toBe('PDNG');
      return orderId;
    };
    const rejected = await heldLastRun('40000062000003');
    expect((await h.call('POST', `/admin/payment-reviews/${rejected}-run-0/reject`, { headers: admin, body: { reason: 'Confirmed with the customer' } })).status).toBe(200);
    expect(await runOf(rejected)).toBe('RJCT');
    // Until 8 December 2026 it stayed INCO, "the individual payment has been successfully completed".
    expect(await orderStatus(rejected)).toBe('INFA');

    const released = await heldLastRun('40000062000004');
    expect((await h.call('POST', `/admin/payment-reviews/${released}-run-0/release`, { headers: admin, body: { reason: 'Confirmed with the customer' } })).status).toBe(200);
    expect(await runOf(released)).toBe('ACSP');
    expect(await orderStatus(released)).toBe('INCO');
  });

  it('shows the TPP a cancelled held scheduled payment as cancelled by the PSU, not as pending further processing', async () => {
    const runAt = new Date(Date.now() + 2 * 86_400_000);
    const at = runAt.toISOString().replace(/\.\d{3}Z$/, '+00:00');
    const { paymentId } = await fixtures.scheduledPayment(debtor!, payee('40000061000001', 'Held Then Cancelled'), '30.00', at, 'HELD-CANC');
    await executeDueScheduledPayments(h.dataSource, h.bank(), runAt, { approvals: h.approvals(), risk });
    const token = await h.clientCredentialsToken({ scope: 'payments' });
    expect((await h.tpp('GET', `${PISP}/domestic-scheduled-payments/${paymentId}`, { token })).body.Data.Status).toBe('PDNG');

    expect((await cancelOnDashboard(`/dashboard/payments/scheduled-payments/${paymentId}/cancel`)).location).toBe('/dashboard/payments?notice=cancelled');
    const read = await h.tpp('GET', `${PISP}/domestic-scheduled-payments/${paymentId}`, { token });
    expect(read.body.Data.Status).toBe('CANC');
    const reason = JSON.stringify(read.body.Data.StatusReason ?? null);
    expect(reason).not.toContain('pending further processing');
    expect(reason).toContain('Cancelled by the PSU');
  });
});

describe('a PSU cancel that loses to the worker leaves it the bank call', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let debtor: PsuAccount;

  beforeAll(async () => {
    h = await ApiHarness.start('psu_cancel_loses');
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice', 1);
    await fixtures.setBalance(debtor!.accountId, '500.00');
    // The worker's mark (markSentToBank) takes 300 ms under the payment's row lock, so a cancel sent meanwhile
    // waits behind it, re-reads the row once the mark commits, and holds the row until its own transaction ends.
    await h.dataSource.query(`
      CREATE FUNCTION slow_mark() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$;
      CREATE TRIGGER slow_mark BEFORE UPDATE OF sent_to_bank_at ON domestic_payment FOR EACH ROW WHEN (OLD.sent_to_bank_at IS NULL) EXECUTE FUNCTION slow_mark();`);
  });
  afterAll(async () => h?.stop());

  it('sends a due scheduled payment in the same run when a cancel that lost still holds its row', async () => {
    const runAt = new Date(Date.now() + 3 * 86_400_000);
    const at = runAt.toISOString().replace(/\.\d{3}Z$/, '+00:00');
    const { paymentId } = await fixtures.scheduledPayment(debtor!, { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40000063000009', Name: 'Landlord' }, '12.00', at, 'LOSING-CANCEL');
    const running = executeDueScheduledPayments(h.dataSource, h.bank(), runAt, { approvals: h.approvals() });
    // The PSU's cancel, as cancelScheduledPayment makes it, while the mark is being written: it finds the
    // payment sent once it gets the row, and its transaction lasts a moment longer before rolling back.
    const cancel = h.dataSource.transaction(async (manager) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [, matched] = (await manager.query(`UPDATE domestic_payment SET status = 'CANC' WHERE payment_id = $1 AND status = 'PDNG' AND sent_to_bank_at IS NULL`, [paymentId])) as [
        unknown,
        number,
      ];
      expect(matched).toBe(0);
      await manager.query(`SELECT pg_sleep(0.5)`);
    });
    await Promise.all([running, cancel]);
    expect(await h.dataSource.query(`SELECT status FROM domestic_payment WHERE payment_id = $1`, [paymentId])).toEqual([{ status: 'ACSP' }]);
  });
});
