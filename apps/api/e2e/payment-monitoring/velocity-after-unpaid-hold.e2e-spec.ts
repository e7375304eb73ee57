import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, jsonString } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { riskFiles } from '../support/risk-fixtures.js';

// A new payee from 50.00 is held; more than 100.00 out of the account in an hour is held.
const RULES = `
thresholds: { hold: 50, reject: 100 }
rules:
  - { name: new-payee, kind: new-payee, params: { minAmount: "50.00" }, weight: 50, action: hold }
  - { name: account-amount, kind: velocity, params: { per: debtor-account, windowMinutes: 60, maxAmount: "100.00" }, weight: 50, action: hold }
`;

describe('velocity windows: a hold whose review ends without paying it leaves them', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let files: Awaited<ReturnType<typeof riskFiles>>;
  let debtor: PsuAccount;

  beforeAll(async () => {
    files = await riskFiles(RULES, []);
    h = await ApiHarness.start('velocity_after_unpaid_hold', files.env);
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice', 1);
    await fixtures.setBalance(debtor!.accountId, '1000.00');
  });
  afterAll(async () => {
    await h?.stop();
    await files?.remove();
  });

  const payee = (identification: string, name: string): ObAccount => ({ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: identification, Name: name });
  const decisionOf = async (paymentId: string): Promise<string> =>
    ((await h.dataSource.query(`SELECT decision FROM payment_risk_assessment WHERE payment_id = $1`, [paymentId])) as Array<{ decision: string }>)[0]!.decision;

  it("lets the PSU's next payment through once an admin rejects the held one, and still counts a hold under review", async () => {
    // 90.00 to a new payee: held, and counted while it waits.
    const held = await fixtures.domesticPayment('alice', debtor!, payee('40000063000001', 'Unknown Payee'), '90.00', 'V-HELD');
    const heldId = jsonString(held.paid.body.Data.DomesticPaymentId);
    expect(held.paid.body.Data.Status).toBe('PDNG');
    expect(await decisionOf(heldId)).toBe('hold');
    // 90.00 waiting + 20.00 is over 100.00: this one is held by the window.
    const whileWaiting = await fixtures.domesticPayment('alice', debtor!, payee('40000063000002', 'Grocer'), '20.00', 'V-WAITING');
    const whileWaitingId = jsonString(whileWaiting.paid.body.Data.DomesticPaymentId);
    expect(await decisionOf(whileWaitingId)).toBe('hold');

    // Both rejected by an admin (RJCT, never paid): neither counts any more.
    const admin = { authorization: `Bearer ${await h.adminSession()}` };
    for (const paymentId of [heldId, whileWaitingId]) {
      expect((await h.call('POST', `/admin/payment-reviews/${paymentId}/reject`, { headers: admin, body: { reason: 'Confirmed with the customer' } })).status).toBe(200);
    }
    const after = await fixtures.domesticPayment('alice', debtor!, payee('40000063000002', 'Grocer'), '20.00', 'V-AFTER');
    expect(after.paid.body.Data.Status).toBe('ACSP');
    expect(await decisionOf(jsonString(after.paid.body.Data.DomesticPaymentId))).toBe('allow');
  });
});
