import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, CallResult, JsonBody, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { ObAccount, PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';

/** A request body the test builds (what it reads back is the harness's JsonBody). */
type JsonInput = { [member: string]: unknown };

const PISP = '/open-banking/v4.0/pisp';
const CONSENTS = `${PISP}/domestic-payment-consents`;
const PAYMENTS = `${PISP}/domestic-payments`;

/** What the PSU sees of a payment the bank refused because the account cannot take it: AC06, and why. */
const REFUSED = { Status: 'RJCT', StatusReason: [{ StatusReasonCode: 'AC06', StatusReasonDescription: 'An account of the payment is blocked: the debtor’s cannot be debited, or the payee’s credited' }] };

/**
 * Payments whose payee is an account of this bank: the ledger credits it, or refuses the order before any
 * debit (a payment to the debtor account itself, or to an account that is not enabled), never debits the
 * PSU for a payee it then does not credit; and what it books reads back through AIS as OBReadTransaction6.
 */
describe('domestic payments to a payee at this bank', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let alice: PsuAccount;
  let bob: PsuAccount;

  beforeAll(async () => {
    h = await ApiHarness.start('payee_at_this_bank');
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    [alice] = (await fixtures.accountsOf('alice', 1, 'Alice')) as [PsuAccount];
    [bob] = (await fixtures.accountsOf('bob', 1, 'Bob Builder')) as [PsuAccount];
  });
  afterAll(async () => h?.stop());

  function initiation(payee: ObAccount, reference: string, unstructured: string[] = ['Savings']): JsonInput {
    return {
      InstructionIdentification: `INSTR-${reference}`,
      EndToEndIdentification: reference,
      LocalInstrument: 'UK.OBIE.FPS',
      InstructedAmount: { Amount: '100.00', Currency: 'GBP' },
      CreditorAccount: payee,
      RemittanceInformation: { Unstructured: unstructured },
    };
  }

  /** A consent for `init`, approved by alice for her account, and its payment order. */
  async function pay(init: JsonInput): Promise<CallResult> {
    const created = await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: init }, Risk: {} } });
    const { consentId, psuToken } = await fixtures.approve(created, alice.accountId, 'payments');
    const body = { Data: { ConsentId: consentId, Initiation: init }, Risk: {} };
    expectObSchema('OBWriteDomestic2', body, 'payment-initiation');
    return h.signedPost(PAYMENTS, { token: psuToken, body });
  }

  async function bookedFor(paymentId: string): Promise<number> {
    const [{ n }]: Array<{ n: number }> = await h.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE transaction_id IN ($1, $1 || '-credit')`, [paymentId]);
    return n;
  }

  it('books concurrent payments from one account, to this bank and to another, each with the balance after it in booking order', async () => {
    // OBTransactionCashBalance: the balance after the entry is applied. Until 8 December 2026 a debit to
    // another bank was booked at the time its request arrived, not when it moved the balance, so payments
    // made at once listed out of their balances' order (a probe's find).
    const elsewhere: ObAccount = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678', Name: 'Elsewhere Ltd' };
    const token = await h.consentToken(await h.authorisedConsent(['ReadBalances', 'ReadTransactionsDetail', 'ReadTransactionsDebits', 'ReadTransactionsCredits'], 'alice', [alice.accountId]));
    const booked = async (): Promise<JsonBody[]> => {
      const read = await h.tpp('GET', `${AISP}/accounts/${alice.accountId}/transactions`, { token });
      expectObSchema('OBReadTransaction6', read.body);
      return read.body.Data.Transaction as unknown as JsonBody[];
    };
    // An entry's or a balance's { Amount: { Amount }, CreditDebitIndicator } in signed pence.
    const signed = (of: JsonBody): number => (jsonString(of.CreditDebitIndicator) === 'Credit' ? 1 : -1) * Math.round(Number(jsonString(of.Amount.Amount)) * 100);
    const before = (await booked()).length;
    const orders = [];
    for (let i = 1; i <= 16; i++) {
      orders.push(await fixtures.domesticPaymentConsent('alice', alice, i % 2 ? elsewhere : bob.account, `1.${String(i).padStart(2, '0')}`, `RACE-${i}`));
    }
    const answers = await Promise.all(orders.map((order) => order.pay()));
    expect(answers.map((answer) => jsonString(answer.body.Data.Status))).toEqual(answers.map(() => 'ACSP'));

    const listed = await booked();
    expect(listed).toHaveLength(before + 16);
    // In the order AIS lists them, each entry's balance is the one before it less its amount.
    for (let i = 1; i < listed.length; i++) {
      const entry = listed[i]!;
      const expected = signed(listed[i - 1]!.Balance) + signed(entry);
      expect(signed(entry.Balance), `${jsonString(entry.TransactionReference ?? '')} at ${jsonString(entry.BookingDateTime)}`).toBe(expected);
    }
    const balances = await h.tpp('GET', `${AISP}/accounts/${alice.accountId}/balances`, { token });
    const itbd = (balances.body.Data.Balance as unknown as JsonBody[]).find((balance) => jsonString(balance.Type) === 'ITBD')!;
    expect(signed(listed.at(-1)!.Balance)).toBe(signed(itbd));
  });

  it('answers a payment to the PSU’s own account 201 RJCT AC06, debiting nothing, and again when read back', async () => {
    await fixtures.setBalance(alice.accountId, '1000.00');
    const paid = await pay(initiation(alice.account, 'E2E-SELF'));
    expect(paid.status).toBe(201);
    expectObSchema('OBWriteDomesticResponse5', paid.body, 'payment-initiation');
    expect(paid.body.Data).toMatchObject(REFUSED);
    const paymentId = jsonString(paid.body.Data.DomesticPaymentId);
    expect(await fixtures.available(alice.accountId)).toBe('1000.00000');
    expect(await bookedFor(paymentId)).toBe(0);
    const read = await h.tpp('GET', `${PAYMENTS}/${paymentId}`, { token: cc });
    expect(read.status).toBe(200);
    expect(read.body.Data).toMatchObject(REFUSED);
  });

  it('answers a VRP to the debtor account itself 201 RJCT AC06, debiting nothing', async () => {
    await fixtures.setBalance(alice.accountId, '1000.00');
    const { consentId, psuToken } = await fixtures.vrpConsent('alice', alice, alice.account);
    const paid = await fixtures.vrp(psuToken, consentId, alice.account, '40.00', 'E2E-VRP-SELF');
    expect(paid.status).toBe(201);
    expect(paid.body.Data).toMatchObject(REFUSED);
    expect(await fixtures.available(alice.accountId)).toBe('1000.00000');
    expect(await bookedFor(jsonString(paid.body.Data.DomesticVRPId))).toBe(0);
  });

  it('answers a payment to an account of this bank that is disabled 201 RJCT AC06, debiting and crediting nobody', async () => {
    await fixtures.setBalance(alice.accountId, '1000.00');
    await fixtures.setBalance(bob.accountId, '10.00');
    await h.dataSource.query(`UPDATE account SET status = 'Disabled' WHERE account_id = $1`, [bob.accountId]);
    try {
      const paid = await pay(initiation(bob.account, 'E2E-DISABLED'));
      expect(paid.status).toBe(201);
      expect(paid.body.Data).toMatchObject(REFUSED);
      expect(await bookedFor(jsonString(paid.body.Data.DomesticPaymentId))).toBe(0);
    } finally {
      await h.dataSource.query(`UPDATE account SET status = 'Enabled' WHERE account_id = $1`, [bob.accountId]);
    }
    expect(await fixtures.available(alice.accountId)).toBe('1000.00000');
    expect(await fixtures.available(bob.accountId)).toBe('10.00000');
  });

  it('books a payment with 1,409 characters of remittance lines so that both parties’ AIS transactions are OBReadTransaction6', async () => {
    await fixtures.setBalance(alice.accountId, '1000.00');
    await fixtures.setBalance(bob.accountId, '10.00');
    // Ten Unstructured lines of 140 characters (OB's most), joined by the ledger with spaces: 1,409.
    const lines = Array.from({ length: 10 }, (_, n) => `Invoice line ${n} `.padEnd(140, '.'));
    const paid = await pay(initiation(bob.account, 'E2E-LONG', lines));
    expect(paid.status).toBe(201);
    expect(paid.body.Data.Status).toBe('ACSP');
    const paymentId = jsonString(paid.body.Data.DomesticPaymentId);
    const since = encodeURIComponent(new Date(Date.now() - 60_000).toISOString());
    for (const [username, account, transactionId] of [
      ['alice', alice, paymentId],
      ['bob', bob, `${paymentId}-credit`],
    ] as const) {
      const consentId = await h.authorisedConsent(['ReadAccountsDetail', 'ReadTransactionsDetail', 'ReadTransactionsDebits', 'ReadTransactionsCredits'], username, [account.accountId]);
      const transactions = await h.tpp('GET', `${AISP}/accounts/${account.accountId}/transactions?fromBookingDateTime=${since}`, { token: await h.consentToken(consentId) });
      expect(transactions.status).toBe(200);
      expectObSchema('OBReadTransaction6', transactions.body);
      const booked = transactions.body.Data.Transaction.find((t) => String(t.TransactionId) === transactionId);
      expect(booked?.TransactionInformation).toBe(lines.join(' ').slice(0, 500));
    }
  });
});
