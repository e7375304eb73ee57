import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { ObAccount, PaymentFixtures } from '../support/payment-fixtures.js';

const PISP = '/open-banking/v4.0/pisp';
const RISK = { PaymentContextCode: 'TransferToThirdParty' };

/**
 * The audit trail records a payment's amount as the TPP sent it (consent.created, consent.authorised,
 * payment.submitted). Until 7 December 2026 redactForAudit scanned it as free text and masked a group of
 * eight digits or more as an account number, so a payment of ten million or more was stored as
 * "****5678.90": the trail no longer said how much, on the payments an auditor most wants to see.
 */
describe('audit events keep a payment’s amount, whatever its size', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let debtor: string;
  let payee: ObAccount;

  beforeAll(async () => {
    h = await ApiHarness.start('audit_keeps_amounts');
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    [{ accountId: debtor }] = await fixtures.accountsOf('alice');
    [{ account: payee }] = await fixtures.accountsOf('bob', 1, 'Bob Builder');
  });
  afterAll(async () => h?.stop());

  it('records a 12,345,678.90 GBP payment with amount "12345678.90" in consent.created, consent.authorised and payment.submitted', async () => {
    const amount = '12345678.90';
    await fixtures.setBalance(debtor, '20000000.00');
    const initiation = {
      InstructionIdentification: 'I-BIG',
      EndToEndIdentification: 'E-BIG',
      InstructedAmount: { Amount: amount, Currency: 'GBP' },
      CreditorAccount: payee,
    };
    const created = await h.signedPost(`${PISP}/domestic-payment-consents`, { token: cc, body: { Data: { Initiation: initiation }, Risk: RISK } });
    expect(created.status).toBe(201);
    expectObSchema('OBWriteDomesticConsentResponse5', created.body, 'payment-initiation');
    const { consentId, psuToken } = await fixtures.approve(created, debtor, 'payments');
    const paid = await h.signedPost(`${PISP}/domestic-payments`, { token: psuToken, body: { Data: { ConsentId: consentId, Initiation: initiation }, Risk: RISK } });
    expect(paid.status).toBe(201);
    expect(jsonString(paid.body.Data.Initiation.InstructedAmount.Amount)).toBe(amount);

    const events: Array<{ type: string; amount: string | null }> = await h.dataSource.query(
      `SELECT event->>'type' AS type, event->'data'->>'amount' AS amount FROM audit_outbox
        WHERE event->>'consentId' = $1 AND event->'data' ? 'amount' ORDER BY event->>'occurredAt', event->>'type'`,
      [consentId],
    );
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['consent.created', 'consent.authorised', 'payment.submitted']));
    for (const event of events) expect({ type: event.type, amount: event.amount }).toEqual({ type: event.type, amount });
  });
});
