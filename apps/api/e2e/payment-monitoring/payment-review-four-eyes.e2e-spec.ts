import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, jsonString } from '../support/api-harness.js';
import { PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { NEW_PAYEE_RULES, riskFiles } from '../support/risk-fixtures.js';

const REVIEWS = '/admin/payment-reviews';

describe('payment monitoring: four-eyes release (REVIEW_FOUR_EYES=true)', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let debtor: PsuAccount;
  let files: Awaited<ReturnType<typeof riskFiles>>;

  beforeAll(async () => {
    files = await riskFiles(NEW_PAYEE_RULES);
    h = await ApiHarness.start('payment_review_four_eyes', { ...files.env, REVIEW_FOUR_EYES: 'true' });
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice', 1);
    await fixtures.setBalance(debtor!.accountId, '5000.00');
  });
  afterAll(async () => {
    await h?.stop();
    await files?.remove();
  });

  it('answers the first release 202 and keeps the payment PDNG; the same admin cannot confirm; a second admin executes it', async () => {
    const payee = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '50000050000001', Name: 'Builder' };
    const { paid } = await fixtures.domesticPayment('alice', debtor!, payee, '1500.00', 'FOUR-EYES-1');
    const paymentId = jsonString(paid.body.Data.DomesticPaymentId);
    const admin = { authorization: `Bearer ${await h.adminSession('admin')}` };
    const reviewer = { authorization: `Bearer ${await h.adminSession('reviewer')}` };
    const tppRead = async () =>
      (await h.tpp('GET', `/open-banking/v4.0/pisp/domestic-payments/${paymentId}`, { token: await h.clientCredentialsToken({ scope: 'payments' }) })).body.Data.Status;

    const first = await h.call('POST', `${REVIEWS}/${paymentId}/release`, { headers: admin, body: { reason: 'Customer confirmed by phone' } });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ outcome: 'release-requested', paymentId, status: 'PDNG', statusReason: null });
    expect(await tppRead()).toBe('PDNG');
    expect(await fixtures.available(debtor!.accountId)).toBe('5000.00000');
    const queue = await h.call('GET', REVIEWS, { headers: admin });
    expect(queue.body.reviews).toMatchObject([{ paymentId, reviewStatus: 'release-requested' }]);

    const same = await h.call('POST', `${REVIEWS}/${paymentId}/release`, { headers: admin, body: { reason: 'Again, me' } });
    expect(same.status).toBe(409);
    expect(await tppRead()).toBe('PDNG');

    const second = await h.call('POST', `${REVIEWS}/${paymentId}/release`, { headers: reviewer, body: { reason: 'Second pair of eyes agrees' } });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ outcome: 'released', paymentId, status: 'ACSP', statusReason: null });
    expect(await tppRead()).toBe('ACSP');
    expect(await fixtures.available(debtor!.accountId)).toBe('3500.00000');
    const events: Array<{ type: string; actor: string }> = await h.dataSource.query(
      `SELECT event->>'type' AS type, event->'actor'->>'id' AS actor FROM audit_outbox WHERE event->>'type' LIKE 'payment.review.%' AND event->'data'->>'paymentId' = $1 ORDER BY created_seq`,
      [paymentId],
    );
    const [adminId, reviewerId] = await Promise.all(['admin', 'reviewer'].map(async (u) => (await h.dataSource.query(`SELECT admin_id FROM admin_user WHERE username = $1`, [u]))[0].admin_id as string));
    expect(events).toEqual([
      { type: 'payment.review.release-requested', actor: adminId },
      { type: 'payment.review.released', actor: reviewerId },
    ]);
  });

  it('keeps the first admin’s reason when a second admin rejects a requested release', async () => {
    const payee = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '50000050000002', Name: 'Roofer' };
    const { paid } = await fixtures.domesticPayment('alice', debtor!, payee, '1500.00', 'FOUR-EYES-2');
    const paymentId = jsonString(paid.body.Data.DomesticPaymentId);
    const admin = { authorization: `Bearer ${await h.adminSession('admin')}` };
    const reviewer = { authorization: `Bearer ${await h.adminSession('reviewer')}` };
    expect((await h.call('POST', `${REVIEWS}/${paymentId}/release`, { headers: admin, body: { reason: 'Customer confirmed by phone' } })).status).toBe(202);
    expect((await h.call('POST', `${REVIEWS}/${paymentId}/reject`, { headers: reviewer, body: { reason: 'Payee account opened yesterday' } })).status).toBe(200);
    // Both reasons stay on the review, as a release keeps them (until 7 December 2026 the first was erased).
    const [row] = await h.dataSource.query(`SELECT review_status, review_reason FROM payment_risk_assessment WHERE payment_id = $1`, [paymentId]);
    expect(row).toEqual({ review_status: 'rejected', review_reason: 'Customer confirmed by phone / Payee account opened yesterday' });
  });
});
