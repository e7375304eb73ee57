import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, jsonString } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { riskFiles } from '../support/risk-fixtures.js';

// Reject only at 200: a PSU that trips both rules is held, and the test sees which rules fired.
const RULES = `
thresholds: { hold: 50, reject: 200 }
rules:
  - { name: sign-in-burst, kind: failed-sign-ins, params: { windowMinutes: 10, minCount: 3 }, weight: 50, action: hold }
  - { name: locked-out-today, kind: lockout-today, weight: 60, action: hold }
`;

const PAYEE: ObAccount = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40000060000001', Name: 'Any Payee' };

/** Failed sign-ins made through the dashboard's real sign-in, then a payment scored by the API's engine. */
describe('payment monitoring: the sign-in rules read the failures the sign-in just recorded', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let files: Awaited<ReturnType<typeof riskFiles>>;
  const accounts: Record<string, PsuAccount> = {};

  beforeAll(async () => {
    files = await riskFiles(RULES, []);
    h = await ApiHarness.start('sign_in_risk_rules', files.env);
    fixtures = await PaymentFixtures.of(h);
    for (const username of ['alice', 'bob', 'carol']) {
      [accounts[username]] = await fixtures.accountsOf(username, 1);
      await fixtures.setBalance(accounts[username]!.accountId, '100.00');
    }
  });
  afterAll(async () => {
    await h?.stop();
    await files?.remove();
  });

  async function failSignIn(username: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const refused = await h.call('POST', '/customer/sessions', { body: { username, password: 'not-the-password', otp: '000000' } });
      expect(refused.status).toBe(401);
    }
  }

  /** Pays 5.00 from the PSU's account; answers the status and the rules that fired. */
  async function pay(username: string, reference: string): Promise<{ status: string; rules: string[] }> {
    const { paid } = await fixtures.domesticPayment(username, accounts[username]!, PAYEE, '5.00', reference);
    expect(paid.status).toBe(201);
    const [row]: Array<{ rules: Array<{ name: string }> }> = await h.dataSource.query(`SELECT rules FROM payment_risk_assessment WHERE payment_id = $1`, [
      jsonString(paid.body.Data.DomesticPaymentId),
    ]);
    return { status: jsonString(paid.body.Data.Status), rules: row!.rules.map((rule) => rule.name) };
  }

  it('allows a PSU without failed sign-ins', async () => {
    expect(await pay('alice', 'SIGN-IN-CLEAN')).toEqual({ status: 'ACSP', rules: [] });
  });

  it('holds a payment after a burst of failed sign-ins, not before it', async () => {
    await failSignIn('bob', 2);
    expect(await pay('bob', 'SIGN-IN-TWO')).toEqual({ status: 'ACSP', rules: [] });
    await failSignIn('bob', 1);
    expect(await pay('bob', 'SIGN-IN-THREE')).toEqual({ status: 'PDNG', rules: ['sign-in-burst'] });
  });

  it('holds a payment of a PSU locked out today (the fifth failure locks it)', async () => {
    await failSignIn('carol', 5);
    const [psu]: Array<{ locked: boolean }> = await h.dataSource.query(`SELECT locked_until > now() AS locked FROM psu WHERE username = 'carol'`);
    expect(psu).toEqual({ locked: true });
    expect(await pay('carol', 'SIGN-IN-LOCKED')).toEqual({ status: 'PDNG', rules: ['sign-in-burst', 'locked-out-today'] });
  });
});
