import { executeDueStandingOrderRuns } from '@consentry/consents';
import { PaymentRiskEngine } from '@consentry/risk';
import { SANDBOX_DENY_LISTED_CREDITOR } from '@consentry/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { riskFiles, SMALL_NEW_PAYEE_HOLD_RULES } from '../support/risk-fixtures.js';

const PISP = '/open-banking/v4.0/pisp';
const REVIEWS = '/admin/payment-reviews';


describe('payment monitoring: releasing a held VRP and a held standing-order run executes each once', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let files: Awaited<ReturnType<typeof riskFiles>>;
  let debtor: PsuAccount;
  let admin: Record<string, string>;

  beforeAll(async () => {
    files = await riskFiles(SMALL_NEW_PAYEE_HOLD_RULES, []);
    h = await ApiHarness.start('held_vrp_so_release', files.env);
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

  async function tppGet(path: string): Promise<CallResult> {
    return h.tpp('GET', path, { token: await h.clientCredentialsToken({ scope: 'payments' }) });
  }

  /** Two admins releasing at the same instant: one executes it, the other is refused. */
  async function releaseTwiceAtOnce(paymentId: string): Promise<CallResult> {
    const answers = await Promise.all([1, 2].map(() => h.call('POST', `${REVIEWS}/${paymentId}/release`, { headers: admin, body: { reason: 'Confirmed with the customer' } })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    return answers.find((a) => a.status === 200)!;
  }

  /** How many times the payment was recorded as executed (PDNG -> ACSP). */
  async function acceptedEvents(paymentId: string): Promise<number> {
    const [row]: Array<{ count: number }> = await h.dataSource.query(
      `SELECT count(*)::int AS count FROM audit_outbox WHERE event->>'type' = 'payment.status-changed' AND event->'data'->>'paymentId' = $1 AND event->'data'->>'to' = 'ACSP'`,
      [paymentId],
    );
    return row!.count;
  }

  async function paidCount(): Promise<number> {
    const [row]: Array<{ count: number } | undefined> = await h.dataSource.query(`SELECT payment_count::int AS count FROM payment_amount_statistics WHERE debtor_account_id = $1`, [
      debtor!.accountId,
    ]);
    return row?.count ?? 0;
  }

  it('holds a VRP to a new payee (PDNG, no debit); a release debits it once, the TPP’s GET shows it, and it joins the account’s history', async () => {
    const vrpPayee = payee('40000050000001', 'VRP Payee');
    const { consentId, psuToken } = await fixtures.vrpConsent('alice', debtor!, vrpPayee);
    const before = Number(await fixtures.available(debtor!.accountId));
    const paid = await fixtures.vrp(psuToken, consentId, vrpPayee, '20.00', 'VRP-HELD-1');
    expect(paid.status).toBe(201);
    expect(paid.body.Data.Status).toBe('PDNG');
    const paymentId = jsonString(paid.body.Data.DomesticVRPId);
    expect(Number(await fixtures.available(debtor!.accountId))).toBe(before);
    const listed = await h.call('GET', REVIEWS, { headers: admin });
    expect(listed.body.reviews).toEqual([expect.objectContaining({ paymentId, paymentKind: 'domestic-vrp', amount: '20.00000' })]);
    const historyBefore = await paidCount();

    const released = await releaseTwiceAtOnce(paymentId);
    expect(released.body).toEqual({ outcome: 'released', paymentId, status: 'ACSP', statusReason: null });
    expect(Number(await fixtures.available(debtor!.accountId))).toBe(before - 20);
    expect(await acceptedEvents(paymentId)).toBe(1);
    const read = await tppGet(`${PISP}/domestic-vrps/${paymentId}`);
    expect(read.status).toBe(200);
    expect(read.body.Data.Status).toBe('ACSP');
    expect(await paidCount()).toBe(historyBefore + 1);
    // Released, the payee is known a day after (knownAfterHours' default): the next VRP to it then is not held.
    await h.dataSource.query(`UPDATE payment_risk_assessment SET assessed_at = assessed_at - interval '1 day' WHERE payment_id = $1`, [paymentId]);
    const next = await fixtures.vrp(psuToken, consentId, vrpPayee, '20.00', 'VRP-KNOWN-1');
    expect(next.body.Data.Status).toBe('ACSP');
    expect(Number(await fixtures.available(debtor!.accountId))).toBe(before - 40);
  });

  it('never releases a held VRP whose row was altered since its PSU approved (400, nothing debited); the admin can still reject it', async () => {
    const vrpPayee = payee('40000050000003', 'Altered VRP Payee');
    const { consentId, psuToken } = await fixtures.vrpConsent('alice', debtor!, vrpPayee);
    const paid = await fixtures.vrp(psuToken, consentId, vrpPayee, '20.00', 'VRP-HELD-ALTERED');
    expect(paid.body.Data.Status).toBe('PDNG');
    const paymentId = jsonString(paid.body.Data.DomesticVRPId);
    const [bob] = await fixtures.accountsOf('bob', 1);
    await fixtures.setBalance(bob!.accountId, '300.00');
    await h.dataSource.query(`UPDATE vrp_payment SET debtor_account_id = $2 WHERE payment_id = $1`, [paymentId, bob!.accountId]);

    const refused = await h.call('POST', `${REVIEWS}/${paymentId}/release`, { headers: admin, body: { reason: 'Confirmed with the customer' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_request', message: 'The payment no longer matches what the PSU approved: reject it' });
    expect(await fixtures.available(bob!.accountId)).toBe('300.00000');
    expect(await acceptedEvents(paymentId)).toBe(0);
    const rejected = await h.call('POST', `${REVIEWS}/${paymentId}/reject`, { headers: admin, body: { reason: 'Altered order' } });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toEqual(expect.objectContaining({ outcome: 'rejected', status: 'RJCT' }));
  });

  it('holds a standing-order run to a new payee; a release pays that run once, the worker’s later passes never pay it again', async () => {
    const { orderId } = await fixtures.weeklyStandingOrder(debtor!, payee('40000050000002', 'Standing Order Payee'), '25.00', '2049-01-15T08:00:00+00:00');
    const risk = PaymentRiskEngine.load({ rulesFile: files.env.RISK_RULES_FILE, denyListFile: files.env.RISK_DENY_LIST_FILE! });
    const before = Number(await fixtures.available(debtor!.accountId));

    // The worker's pass at the first run's due time: held, nothing debited.
    await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2049-01-15T08:00:00Z'), { approvals: h.approvals(), risk });
    const runId = `${orderId}-run-0`;
    const [held] = await h.dataSource.query(`SELECT status FROM standing_order_run WHERE payment_id = $1`, [runId]);
    expect(held).toEqual({ status: 'PDNG' });
    expect(Number(await fixtures.available(debtor!.accountId))).toBe(before);
    const listed = await h.call('GET', REVIEWS, { headers: admin });
    expect(listed.body.reviews).toEqual([expect.objectContaining({ paymentId: runId, paymentKind: 'domestic-standing-order', amount: '25.00000' })]);

    const released = await releaseTwiceAtOnce(runId);
    expect(released.body).toEqual({ outcome: 'released', paymentId: runId, status: 'ACSP', statusReason: null });
    expect(Number(await fixtures.available(debtor!.accountId))).toBe(before - 25);
    // The worker passes again at the same instant: the held run is not paid a second time.
    await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2049-01-15T08:00:00Z'), { approvals: h.approvals(), risk });
    expect(Number(await fixtures.available(debtor!.accountId))).toBe(before - 25);
    const [paidRun] = await h.dataSource.query(`SELECT status, ledger_transaction_id IS NOT NULL AS debited FROM standing_order_run WHERE payment_id = $1`, [runId]);
    expect(paidRun).toEqual({ status: 'ACSP', debited: true });

    // The second run, a week later: the payee is known now, so it is paid at once; the first is still paid once.
    await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2049-01-22T08:00:00Z'), { approvals: h.approvals(), risk });
    const runs: Array<{ run_index: number; status: string }> = await h.dataSource.query(
      `SELECT run_index, status FROM standing_order_run WHERE standing_order_id = $1 ORDER BY run_index`,
      [orderId],
    );
    expect(runs).toEqual([
      { run_index: 0, status: 'ACSP' },
      { run_index: 1, status: 'ACSP' },
    ]);
    expect(Number(await fixtures.available(debtor!.accountId))).toBe(before - 50);
    expect((await h.call('GET', REVIEWS, { headers: admin })).body.reviews).toEqual([]);
  });

  it('rejects a standing-order run to a deny-listed payee: RJCT FR01 by the risk engine, audited, nothing debited, and the order moves on', async () => {
    const denyFiles = await riskFiles(`${SMALL_NEW_PAYEE_HOLD_RULES}  - { name: deny-listed-creditor, kind: deny-list, weight: 100, action: reject }\n`, [SANDBOX_DENY_LISTED_CREDITOR]);
    try {
      const risk = PaymentRiskEngine.load({ rulesFile: denyFiles.env.RISK_RULES_FILE!, denyListFile: denyFiles.env.RISK_DENY_LIST_FILE! });
      const mule = payee(SANDBOX_DENY_LISTED_CREDITOR.Identification, 'Mule Ltd');
      const { consentId, orderId } = await fixtures.weeklyStandingOrder(debtor!, mule, '5.00', '2049-02-15T08:00:00+00:00');
      const before = Number(await fixtures.available(debtor!.accountId));

      await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2049-02-15T08:00:00Z'), { approvals: h.approvals(), risk });
      const runId = `${orderId}-run-0`;
      const [run] = await h.dataSource.query(`SELECT status, status_reason, ledger_transaction_id FROM standing_order_run WHERE payment_id = $1`, [runId]);
      expect(run).toEqual({ status: 'RJCT', status_reason: 'FR01', ledger_transaction_id: null });
      expect(Number(await fixtures.available(debtor!.accountId))).toBe(before);
      const events: Array<{ event: { actor: { id: string }; consentId: string; data: Record<string, unknown> } }> = await h.dataSource.query(
        `SELECT event FROM audit_outbox WHERE event->>'type' = 'payment.status-changed' AND event->'data'->>'paymentId' = $1`,
        [runId],
      );
      expect(events.map(({ event }) => ({ actor: event.actor.id, consentId: event.consentId, data: event.data }))).toEqual([
        {
          actor: 'risk-engine',
          consentId,
          data: { paymentId: runId, kind: 'domestic-standing-order', run: 0, from: 'PDNG', to: 'RJCT', amount: '5.00', currency: 'GBP', statusReason: 'FR01' },
        },
      ]);
      // Refused runs are not held for review, and the order's next run is due a week later.
      expect((await h.call('GET', REVIEWS, { headers: admin })).body.reviews).toEqual([]);
      const [order] = await h.dataSource.query(`SELECT status, next_run_index FROM domestic_standing_order WHERE standing_order_id = $1`, [orderId]);
      expect(order).toEqual({ status: 'PDNG', next_run_index: 1 });
    } finally {
      await denyFiles.remove();
    }
  });
});
