import { HttpBankConnector, SandboxLedgerConnector } from '@consentry/banking';
import { ConnectorServer, FaultyAnswer, serveBankConnector } from '@consentry/banking/test-support';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { findFreePort } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';

const PISP = '/open-banking/v4.0/pisp';
const UPSTREAM = 'probe-http';
const UPSTREAM_TOKEN = 'probe-upstream-secret-0123456789';

/**
 * The debtor's bank, reached over HTTP, debits the order and then answers what the connector cannot read:
 * the outcome is unknown, as when the bank cannot be reached. The TPP gets 201 PDNG (docs/payments.md),
 * and a retry with the same x-idempotency-key replays it. Until 6 December 2026 a body cut short was
 * 500 U000 for a payment the bank had debited.
 */
describe('domestic payments: a bank answer the connector cannot read', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let upstream: ConnectorServer;
  let fault: FaultyAnswer | null = null;
  let debtor: PsuAccount;
  let payee: PsuAccount;

  beforeAll(async () => {
    const port = await findFreePort();
    const connector = new HttpBankConnector({ name: UPSTREAM, baseUrl: `http://127.0.0.1:${port}`, token: UPSTREAM_TOKEN, timeoutMs: 2000 });
    h = await ApiHarness.start('payment_bank_answer_cut', {}, { connectors: [connector] });
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice');
    [payee] = await fixtures.accountsOf('bob', 1, 'Bob Builder');
    await fixtures.setBalance(debtor!.accountId, '500.00');
    await h.dataSource.query(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ('probe-bank', 'Probe Bank', $1)`, [UPSTREAM]);
    await h.dataSource.query(`UPDATE account SET aspsp_id = 'probe-bank' WHERE account_id = $1`, [debtor!.accountId]);
    // The probe bank: its ledger behind the connector protocol, which debits, then answers `fault`.
    const ledger = new SandboxLedgerConnector(h.dataSource, new EnvironmentKeyManagement(Buffer.alloc(32, 0x34)), UPSTREAM);
    upstream = await serveBankConnector(ledger, { token: UPSTREAM_TOKEN, port, faulty: (operation) => (operation === 'initiatePayment' ? fault : null) });
  });
  afterAll(async () => {
    await upstream?.close();
    await h?.stop();
  });

  it.each<[string, FaultyAnswer]>([
    ['a body cut short', { kind: 'cut' }],
    ['an HTML page', { kind: 'html' }],
    ['an outcome outside the contract', { kind: 'result', result: { outcome: 'Pending', transactionId: 'unknown' } }],
  ])('answers 201 PDNG, as for a bank that cannot be reached, when the bank debits and answers %s; a retry replays it', async (_case, answer) => {
    fault = answer;
    const reference = `CUT-${answer.kind}`;
    const initiation = {
      InstructionIdentification: `INSTR-${reference}`,
      EndToEndIdentification: reference,
      InstructedAmount: { Amount: '12.00', Currency: 'GBP' },
      CreditorAccount: payee!.account,
    };
    const created = await h.signedPost(`${PISP}/domestic-payment-consents`, { token: await h.clientCredentialsToken({ scope: 'payments' }), body: { Data: { Initiation: initiation }, Risk: {} } });
    const { consentId, psuToken } = await fixtures.approve(created, debtor!.accountId, 'payments');
    const body = { Data: { ConsentId: consentId, Initiation: initiation }, Risk: {} };
    const key = `cut-${answer.kind}`;

    const paid = await h.signedPost(`${PISP}/domestic-payments`, { token: psuToken, body, idempotencyKey: key });
    expect(paid.status).toBe(201);
    expectObSchema('OBWriteDomesticResponse5', paid.body, 'payment-initiation');
    expect(paid.body.Data).toMatchObject({ ConsentId: consentId, Status: 'PDNG' });
    const paymentId = jsonString(paid.body.Data.DomesticPaymentId);
    const [row] = await h.dataSource.query(`SELECT status, status_reason FROM domestic_payment WHERE payment_id = $1`, [paymentId]);
    expect(row).toEqual({ status: 'PDNG', status_reason: null });
    // The bank did debit it: once, and the order is safe to send again (idempotent on the payment id).
    const [{ n }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE transaction_id = $1`, [paymentId]);
    expect(n).toBe(1);

    const again = await h.signedPost(`${PISP}/domestic-payments`, { token: psuToken, body, idempotencyKey: key });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(paid.body);
  });
});
