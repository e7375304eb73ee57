import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, JsonBody, jsonString } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { NEW_PAYEE_RULES, riskFiles } from '../support/risk-fixtures.js';

const PISP = '/open-banking/v4.0/pisp';
const REVIEWS = '/admin/payment-reviews';

describe('payment monitoring: the review queue on the admin API', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let debtor: PsuAccount;
  let admin: Record<string, string>;
  let payeeCount = 0;
  let files: Awaited<ReturnType<typeof riskFiles>>;

  beforeAll(async () => {
    files = await riskFiles(NEW_PAYEE_RULES);
    h = await ApiHarness.start('payment_reviews', files.env);
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice', 1);
    await fixtures.setBalance(debtor!.accountId, '50000.00');
    admin = { authorization: `Bearer ${await h.adminSession()}` };
  });
  afterAll(async () => {
    await h?.stop();
    await files?.remove();
  });

  function newPayee(): ObAccount {
    payeeCount += 1;
    return { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: `4000004000${String(payeeCount).padStart(4, '0')}`, Name: `Payee ${payeeCount}` };
  }

  /** A domestic payment of 1000.00 to a payee never paid: held by the default rules. */
  async function heldPayment(): Promise<string> {
    const { paid } = await fixtures.domesticPayment('alice', debtor!, newPayee(), '1000.00', `HELD-${payeeCount + 1}`);
    expect(paid.body.Data.Status).toBe('PDNG');
    return jsonString(paid.body.Data.DomesticPaymentId);
  }

  async function tppRead(paymentId: string): Promise<CallResult> {
    return h.tpp('GET', `${PISP}/domestic-payments/${paymentId}`, { token: await h.clientCredentialsToken({ scope: 'payments' }) });
  }

  async function auditTypes(paymentId: string): Promise<string[]> {
    const rows: Array<{ type: string }> = await h.dataSource.query(
      `SELECT event->>'type' AS type FROM audit_outbox WHERE event->'data'->>'paymentId' = $1 ORDER BY created_seq`,
      [paymentId],
    );
    return rows.map((row) => row.type);
  }

  it('lists held payments oldest first with the rules that fired and the account’s recent history, keyset-paged', async () => {
    const paid = await fixtures.domesticPayment('alice', debtor!, newPayee(), '12.00', 'HISTORY-1');
    expect(paid.paid.body.Data.Status).toBe('ACSP');
    const first = await heldPayment();
    const second = await heldPayment();
    const page = await h.call('GET', `${REVIEWS}?limit=1`, { headers: admin });
    expect(page.status).toBe(200);
    expect(page.body.reviews).toHaveLength(1);
    expect(page.body.reviews[0]).toMatchObject({
      paymentId: first,
      paymentKind: 'domestic-payment',
      clientId: h.clientId,
      amount: '1000.00000',
      currency: 'GBP',
      payee: expect.stringMatching(/^SortCodeAccountNumber \*{10}\d{4}$/),
      score: 50,
      rules: [{ name: 'large-payment-to-new-payee', kind: 'new-payee', score: 50 }],
      reviewStatus: 'held',
    });
    expect(page.body.reviews[0].accountHistory[0]).toMatchObject({ paymentId: paid.paid.body.Data.DomesticPaymentId, amount: '12.00000', decision: 'allow' });
    const next = await h.call('GET', `${REVIEWS}?limit=1&cursor=${jsonString(page.body.next)}`, { headers: admin });
    expect(next.body.reviews.map((r: JsonBody) => jsonString(r.paymentId))).toEqual([second]);
    expect((await h.call('GET', `${REVIEWS}?cursor=not-a-cursor`, { headers: admin })).status).toBe(400);
    expect((await h.call('GET', REVIEWS)).status).toBe(401);
  });

  it('releases a held payment: debited as an allowed one, ACSP through the TPP’s GET, audited; a second review is 409', async () => {
    const paymentId = await heldPayment();
    const before = Number(await fixtures.available(debtor!.accountId));
    const released = await h.call('POST', `${REVIEWS}/${paymentId}/release`, { headers: admin, body: { reason: 'Called the customer, confirmed' } });
    expect(released.status).toBe(200);
    expect(released.body).toEqual({ outcome: 'released', paymentId, status: 'ACSP', statusReason: null });
    const read = await tppRead(paymentId);
    expect(read.body.Data.Status).toBe('ACSP');
    expect(read.body.Data.StatusReason).toBeUndefined();
    expect(Number(await fixtures.available(debtor!.accountId))).toBe(before - 1000);
    expect(await auditTypes(paymentId)).toEqual(['payment.submitted', 'payment.risk-assessed', 'payment.review.released', 'payment.status-changed']);
    const again = await h.call('POST', `${REVIEWS}/${paymentId}/reject`, { headers: admin, body: { reason: 'changed my mind' } });
    expect(again.status).toBe(409);
  });

  it('rejects a held payment: RJCT FR01 through the TPP’s GET, no debit, audited', async () => {
    const paymentId = await heldPayment();
    const before = await fixtures.available(debtor!.accountId);
    const rejected = await h.call('POST', `${REVIEWS}/${paymentId}/reject`, { headers: admin, body: { reason: 'Mule pattern confirmed' } });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toEqual({ outcome: 'rejected', paymentId, status: 'RJCT', statusReason: 'FR01' });
    const read = await tppRead(paymentId);
    expect(read.body.Data.Status).toBe('RJCT');
    expect(read.body.Data.StatusReason).toEqual([{ StatusReasonCode: 'FR01', StatusReasonDescription: 'The payment was rejected' }]);
    expect(await fixtures.available(debtor!.accountId)).toBe(before);
    expect(await auditTypes(paymentId)).toEqual(['payment.submitted', 'payment.risk-assessed', 'payment.review.rejected', 'payment.status-changed']);
  });

  it('still checks funds on release: RJCT AM04 when the account is short', async () => {
    const paymentId = await heldPayment();
    await fixtures.setBalance(debtor!.accountId, '10.00');
    const released = await h.call('POST', `${REVIEWS}/${paymentId}/release`, { headers: admin, body: { reason: 'Looks fine' } });
    expect(released.body).toEqual({ outcome: 'released', paymentId, status: 'RJCT', statusReason: 'AM04' });
    expect((await tppRead(paymentId)).body.Data.StatusReason).toEqual([{ StatusReasonCode: 'AM04', StatusReasonDescription: 'Insufficient funds' }]);
    await fixtures.setBalance(debtor!.accountId, '50000.00');
  });

  it('executes a payment once when two admins release it at the same instant', async () => {
    const paymentId = await heldPayment();
    const before = Number(await fixtures.available(debtor!.accountId));
    const answers = await Promise.all(
      [1, 2].map(() => h.call('POST', `${REVIEWS}/${paymentId}/release`, { headers: admin, body: { reason: 'Both at once' } })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(Number(await fixtures.available(debtor!.accountId))).toBe(before - 1000);
  });

  it('refuses a reason that is missing, too long, blank, invisible or beside unknown fields, and an unknown payment', async () => {
    const paymentId = await heldPayment();
    // Blank or invisible: spaces, a no-break space, zero-width spaces and joiners, a byte order mark, a lone combining mark.
    const empty = ['   ', '\u00a0\u00a0\u00a0', '\u200b\u200b\u200b', 'a\u200d\u200db', '\ufeff \ufeff', '\u0301\u0301\u0301'];
    for (const body of [{}, { reason: 'x'.repeat(501) }, { reason: 'fine', extra: 1 }, ...empty.map((reason) => ({ reason }))]) {
      const refused = await h.call('POST', `${REVIEWS}/${paymentId}/release`, { headers: admin, body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
    expect((await tppRead(paymentId)).body.Data.Status).toBe('PDNG');
    const unknown = await h.call('POST', `${REVIEWS}/dp-nope/reject`, { headers: admin, body: { reason: 'no such' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'not_found', message: 'No held payment with this id' });
  });
});
