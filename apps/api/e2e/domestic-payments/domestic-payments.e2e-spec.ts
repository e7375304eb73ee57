import { createHash } from 'node:crypto';

import { canonicalJson, PaymentApprovalSeal } from '@consentry/consents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { ObAccount, PaymentFixtures } from '../support/payment-fixtures.js';

/** A request body the test builds (what it reads back is the harness's JsonBody). */
type JsonInput = { [member: string]: unknown };

const PISP = '/open-banking/v4.0/pisp';
const CONSENTS = `${PISP}/domestic-payment-consents`;
const PAYMENTS = `${PISP}/domestic-payments`;

function expectPis(name: string, body: unknown): void {
  expectObSchema(name, body, 'payment-initiation');
}

describe('domestic payments', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let debtor: string;
  let creditorAccount: ObAccount;
  let creditorId: string;

  beforeAll(async () => {
    h = await ApiHarness.start('domestic_payments');
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    [{ accountId: debtor }] = await fixtures.accountsOf('alice');
    [{ accountId: creditorId, account: creditorAccount }] = await fixtures.accountsOf('bob', 1, 'Bob Builder');
  });
  afterAll(async () => h?.stop());

  function initiation(amount = '25.00', reference = 'E2E-1'): JsonInput {
    return {
      InstructionIdentification: `INSTR-${reference}`,
      EndToEndIdentification: reference,
      LocalInstrument: 'UK.OBIE.FPS',
      InstructedAmount: { Amount: amount, Currency: 'GBP' },
      CreditorAccount: creditorAccount,
      RemittanceInformation: { Unstructured: ['Flat 2 rent'] },
    };
  }

  const setBalance = (accountId: string, amount: string) => fixtures.setBalance(accountId, amount);

  async function createConsent(body: JsonInput = { Data: { Initiation: initiation() }, Risk: { PaymentContextCode: 'TransferToThirdParty' } }): Promise<CallResult> {
    expectPis('OBWriteDomesticConsent4', body);
    return h.signedPost(CONSENTS, { token: cc, body });
  }

  /** A consent created through the API and approved for alice's GBP account, as the consent page does. */
  async function authorisedConsent(init: JsonInput = initiation(), risk: JsonInput = {}): Promise<{ consentId: string; psuToken: string }> {
    return fixtures.approve(await createConsent({ Data: { Initiation: init }, Risk: risk }), debtor, 'payments');
  }

  function pay(psuToken: string, consentId: string, init: JsonInput = initiation(), risk: JsonInput = {}): Promise<CallResult> {
    const body = { Data: { ConsentId: consentId, Initiation: init }, Risk: risk };
    expectPis('OBWriteDomestic2', body);
    return h.signedPost(PAYMENTS, { token: psuToken, body });
  }

  function expectError(result: CallResult, status: number, code: string, path?: string): void {
    expect(result.status).toBe(status);
    expectObSchema('OBErrorResponse1', result.body, 'payment-initiation');
    expect(result.body.Errors[0]).toMatchObject({ ErrorCode: code, ...(path ? { Path: path } : {}) });
  }

  it('creates a consent awaiting authorisation and reads it back, shaped as OBWriteDomesticConsentResponse5', async () => {
    const created = await createConsent();
    expect(created.status).toBe(201);
    expectPis('OBWriteDomesticConsentResponse5', created.body);
    expect(created.body.Data).toMatchObject({ Status: 'AWAU', Initiation: initiation() });
    expect(created.body.Risk).toEqual({ PaymentContextCode: 'TransferToThirdParty' });
    const id = jsonString(created.body.Data.ConsentId);
    expect(created.body.Links.Self).toBe(`${h.api.publicUrl}${CONSENTS}/${id}`);
    const read = await h.tpp('GET', `${CONSENTS}/${id}`, { token: cc });
    expect(read.status).toBe(200);
    expectPis('OBWriteDomesticConsentResponse5', read.body);
    expect(read.body.Data).toEqual(created.body.Data);
    expectError(await h.tpp('GET', `${CONSENTS}/pmc-00000000-0000-4000-8000-000000000000`, { token: cc }), 404, 'U011');
  });

  it('pays an authorised consent: ACSP, debited in the AIS balances and transactions, credited to the sandbox payee', async () => {
    await setBalance(debtor, '500.00');
    await setBalance(creditorId, '10.00');
    const { consentId, psuToken } = await authorisedConsent(initiation('120.50', 'E2E-PAY'));

    const funds = await h.tpp('GET', `${CONSENTS}/${consentId}/funds-confirmation`, { token: psuToken });
    expect(funds.status).toBe(200);
    expectPis('OBWriteFundsConfirmationResponse1', funds.body);
    expect(funds.body.Data.FundsAvailableResult.FundsAvailable).toBe(true);
    // Never the balance (500.00), nor an amount: the timestamps may hold the digits 500, so match the figure.
    expect(JSON.stringify(funds.body)).not.toMatch(/500\.0|Balance|Amount/);

    const paid = await pay(psuToken, consentId, initiation('120.50', 'E2E-PAY'));
    expect(paid.status).toBe(201);
    expectPis('OBWriteDomesticResponse5', paid.body);
    expect(paid.body.Data).toMatchObject({ ConsentId: consentId, Status: 'ACSP' });
    const paymentId = jsonString(paid.body.Data.DomesticPaymentId);

    const consent = await h.tpp('GET', `${CONSENTS}/${consentId}`, { token: cc });
    expect(consent.body.Data.Status).toBe('COND');

    const read = await h.tpp('GET', `${PAYMENTS}/${paymentId}`, { token: cc });
    expect(read.status).toBe(200);
    expectPis('OBWriteDomesticResponse5', read.body);
    expect(read.body.Data).toEqual(paid.body.Data);
    const details = await h.tpp('GET', `${PAYMENTS}/${paymentId}/payment-details`, { token: cc });
    expect(details.status).toBe(200);
    expectPis('OBWritePaymentDetailsResponse1', details.body);
    expect(details.body.Data.PaymentStatus).toEqual([expect.objectContaining({ PaymentTransactionId: paymentId, Status: 'ACSP' })]);

    // The debtor's AIS view: the balance is lower and the payment is a transaction.
    const aisConsent = await h.authorisedConsent(['ReadAccountsDetail', 'ReadBalances', 'ReadTransactionsDetail', 'ReadTransactionsDebits', 'ReadTransactionsCredits'], 'alice', [debtor]);
    const ais = await h.consentToken(aisConsent);
    const balances = await h.tpp('GET', `${AISP}/accounts/${debtor}/balances`, { token: ais });
    expect(balances.body.Data.Balance.find((b) => String(b.Type) === 'ITAV')?.Amount).toEqual({ Amount: '379.50', Currency: 'GBP' });
    const since = encodeURIComponent(new Date(Date.now() - 60_000).toISOString());
    const transactions = await h.tpp('GET', `${AISP}/accounts/${debtor}/transactions?fromBookingDateTime=${since}`, { token: await h.consentToken(aisConsent) });
    expect(transactions.status).toBe(200);
    expect(transactions.body.Data.Transaction.find((t) => String(t.TransactionId) === paymentId)).toMatchObject({
      CreditDebitIndicator: 'Debit',
      Amount: { Amount: '120.50', Currency: 'GBP' },
      TransactionReference: 'E2E-PAY',
    });

    // The payee's account (a sandbox account) was credited.
    const [credit] = await h.dataSource.query(`SELECT amount::text FROM transaction WHERE transaction_id = $1 AND account_id = $2`, [`${paymentId}-credit`, creditorId]);
    expect(credit.amount).toBe('120.50000');

    const events: Array<{ type: string }> = await h.dataSource.query(
      `SELECT event->>'type' AS type FROM audit_outbox WHERE event->>'consentId' = $1 ORDER BY event->>'occurredAt', event->>'type'`,
      [consentId],
    );
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['consent.created', 'consent.authorised', 'consent.consumed', 'payment.submitted', 'payment.status-changed']));
  });

  it('pays a consent once: the second order is 400 U009', async () => {
    await setBalance(debtor, '500.00');
    const { consentId, psuToken } = await authorisedConsent();
    expect((await pay(psuToken, consentId)).status).toBe(201);
    expectError(await pay(await h.consentToken(consentId, { scope: 'payments' }), consentId), 400, 'U009');
    const [{ n }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM domestic_payment WHERE consent_id = $1`, [consentId]);
    expect(n).toBe(1);
  });

  it('pays a consent once when its orders arrive at the same instant', async () => {
    await setBalance(debtor, '500.00');
    const { consentId } = await authorisedConsent();
    const tokens = await Promise.all(Array.from({ length: 6 }, () => h.consentToken(consentId, { scope: 'payments' })));
    const results = await Promise.all(tokens.map((token) => pay(token, consentId)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400, 400, 400]);
    for (const refused of results.filter((r) => r.status === 400)) expect(refused.body.Errors[0].ErrorCode).toBe('U009');
    const [{ amount }] = await h.dataSource.query(`SELECT amount::text FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [debtor]);
    expect(amount).toBe('475.00000');
  });

  it('never overdraws the account under concurrent payments of different consents', async () => {
    await setBalance(debtor, '100.00');
    const consents = await Promise.all(Array.from({ length: 8 }, (_, n) => authorisedConsent(initiation('30.00', `RACE-${n}`))));
    const results = await Promise.all(consents.map(({ consentId, psuToken }, n) => pay(psuToken, consentId, initiation('30.00', `RACE-${n}`))));
    const statuses = results.map((r) => jsonString(r.body.Data.Status));
    expect(statuses.filter((s) => s === 'ACSP')).toHaveLength(3);
    expect(statuses.filter((s) => s === 'RJCT')).toHaveLength(5);
    const [{ amount }] = await h.dataSource.query(`SELECT amount::text FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [debtor]);
    expect(amount).toBe('10.00000');
  });

  it('refuses an order whose Initiation differs from the consent’s with 400 U008 and keeps the consent usable', async () => {
    await setBalance(debtor, '500.00');
    const { consentId, psuToken } = await authorisedConsent();
    expectError(await pay(psuToken, consentId, initiation('25.01')), 400, 'U008', 'Data.Initiation');
    expectError(await pay(await h.consentToken(consentId, { scope: 'payments' }), consentId, { ...initiation(), CreditorAccount: { ...creditorAccount, Name: 'Mallory' } }), 400, 'U008');
    expect((await pay(await h.consentToken(consentId, { scope: 'payments' }), consentId)).status).toBe(201);
  });

  /** What an order refused before its write must leave: no payment, the consent AUTH, the balance as it was. */
  async function expectNothingWritten(consentId: string, balance: string): Promise<void> {
    const [{ n }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM domestic_payment WHERE consent_id = $1`, [consentId]);
    expect(n).toBe(0);
    const [{ status }] = await h.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(status).toBe('AUTH');
    expect(await fixtures.available(debtor)).toBe(balance);
  }

  it('refuses an order of nothing (0, 0.00) with 400 U002 on the amount, a body check before the consent’s U009 and U008, and writes nothing', async () => {
    await setBalance(debtor, '500.00');
    const { consentId, psuToken } = await authorisedConsent(initiation('25.00', 'E2E-ZERO'));
    for (const amount of ['0', '0.00']) {
      const refused = await pay(psuToken, consentId, initiation(amount, 'E2E-ZERO'));
      expectError(refused, 400, 'U002', 'Data.Initiation.InstructedAmount.Amount');
      expect(refused.body.Errors).toEqual([{ ErrorCode: 'U002', Message: 'InstructedAmount.Amount must be more than zero', Path: 'Data.Initiation.InstructedAmount.Amount' }]);
    }
    await expectNothingWritten(consentId, '500.00000');
    expect((await pay(psuToken, consentId, initiation('25.00', 'E2E-ZERO'))).status).toBe(201);
    // Once the consent is used (COND), an order of nothing is still the body's U002, not U009.
    expectError(await pay(await h.consentToken(consentId, { scope: 'payments' }), consentId, initiation('0', 'E2E-ZERO')), 400, 'U002', 'Data.Initiation.InstructedAmount.Amount');
  });

  it('refuses an order whose Risk is not the consent’s with 400 U008 on Risk, writes nothing, and pays the consent’s Risk in any key order', async () => {
    await setBalance(debtor, '500.00');
    const bare = await authorisedConsent(initiation('25.00', 'E2E-RISK-1'));
    const attacker = { PaymentContextCode: 'EcommerceMerchantInitiatedPayment', MerchantCustomerIdentification: 'attacker' };
    const refused = await pay(bare.psuToken, bare.consentId, initiation('25.00', 'E2E-RISK-1'), attacker);
    expectError(refused, 400, 'U008', 'Risk');
    expect(refused.body.Errors).toEqual([{ ErrorCode: 'U008', Message: 'The Risk differs from the consent’s', Path: 'Risk' }]);
    await expectNothingWritten(bare.consentId, '500.00000');
    expect((await pay(bare.psuToken, bare.consentId, initiation('25.00', 'E2E-RISK-1'))).status).toBe(201);

    // A member the consent names must be sent, with its value; none may be added.
    // The purpose codes and the payee's account type are taken (until 7 December 2026 they were U005).
    const risk = { PaymentContextCode: 'TransferToThirdParty', MerchantCategoryCode: '5411', ContractPresentIndicator: true, PaymentPurposeCode: 'GDDS', CategoryPurposeCode: 'SUPP', BeneficiaryAccountType: 'Business' };
    const named = await authorisedConsent(initiation('26.00', 'E2E-RISK-2'), risk);
    const token = () => h.consentToken(named.consentId, { scope: 'payments' });
    for (const other of [{}, { ...risk, ContractPresentIndicator: false }, { ...risk, BeneficiaryPrepopulatedIndicator: true }, { ...risk, PaymentPurposeCode: 'SUPP' }]) {
      expectError(await pay(await token(), named.consentId, initiation('26.00', 'E2E-RISK-2'), other), 400, 'U008', 'Risk');
    }
    await expectNothingWritten(named.consentId, '475.00000');
    // The Initiation is compared first: an order unlike the consent in both is refused on Data.Initiation.
    expectError(await pay(await token(), named.consentId, initiation('26.01', 'E2E-RISK-2'), attacker), 400, 'U008', 'Data.Initiation');
    const reordered = { BeneficiaryAccountType: 'Business', CategoryPurposeCode: 'SUPP', PaymentPurposeCode: 'GDDS', ContractPresentIndicator: true, MerchantCategoryCode: '5411', PaymentContextCode: 'TransferToThirdParty' };
    const paid = await pay(await token(), named.consentId, initiation('26.00', 'E2E-RISK-2'), reordered);
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body.Data.Status).toBe('ACSP');
  });

  it('refuses a consent whose row was changed in the database after approval (dynamic linking)', async () => {
    await setBalance(debtor, '500.00');
    const { consentId, psuToken } = await authorisedConsent();
    await h.dataSource.query(`UPDATE payment_consent SET initiation = jsonb_set(initiation, '{InstructedAmount,Amount}', '"250.00"') WHERE consent_id = $1`, [consentId]);
    expectError(await pay(psuToken, consentId, initiation('250.00')), 400, 'U008');
    const [{ status }] = await h.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(status).toBe('AUTH');
  });

  it('refuses the funds check of a consent whose debtor account was changed after approval with 400 U008', async () => {
    const { consentId, psuToken } = await authorisedConsent();
    const [bob] = await fixtures.accountsOf('bob');
    await h.dataSource.query(`UPDATE payment_consent SET debtor_account_id = $2 WHERE consent_id = $1`, [consentId, bob!.accountId]);
    expectError(await h.tpp('GET', `${CONSENTS}/${consentId}/funds-confirmation`, { token: psuToken }), 400, 'U008', 'ConsentId');
    await h.dataSource.query(`UPDATE payment_consent SET debtor_account_id = $2 WHERE consent_id = $1`, [consentId, debtor]);
    expect((await h.tpp('GET', `${CONSENTS}/${consentId}/funds-confirmation`, { token: psuToken })).status).toBe(200);
  });

  it('refuses a consent altered and re-sealed by whoever can write its row but does not hold the key', async () => {
    await setBalance(debtor, '500.00');
    const victim = await authorisedConsent(initiation('25.00', 'E2E-RESEAL'));
    const donor = await authorisedConsent(initiation('250.00', 'E2E-RESEAL'));
    const [{ initiation_hash: sealed }] = await h.dataSource.query(`SELECT initiation_hash FROM payment_consent WHERE consent_id = $1`, [victim.consentId]);
    const raise = async (seal: string) =>
      h.dataSource.query(`UPDATE payment_consent SET initiation = jsonb_set(initiation, '{InstructedAmount,Amount}', '"250.00"'), initiation_hash = $2 WHERE consent_id = $1`, [
        victim.consentId,
        seal,
      ]);
    // The seal of another consent approved for 250.00: it names that consent.
    await raise((await h.dataSource.query(`SELECT initiation_hash FROM payment_consent WHERE consent_id = $1`, [donor.consentId]))[0].initiation_hash);
    expectError(await pay(victim.psuToken, victim.consentId, initiation('250.00', 'E2E-RESEAL')), 400, 'U008');
    // The bare hash the approval recorded before it was keyed, recomputed over the raised terms.
    const [{ initiation: raised }] = await h.dataSource.query(`SELECT initiation FROM payment_consent WHERE consent_id = $1`, [victim.consentId]);
    await raise(createHash('sha256').update(canonicalJson({ debtorAccountId: debtor, initiation: raised })).digest('base64url'));
    expectError(await pay(victim.psuToken, victim.consentId, initiation('250.00', 'E2E-RESEAL')), 400, 'U008');
    // A seal under a key of the attacker's choosing, named as the bank's.
    const [, kid] = String(sealed).split('.');
    const forged = new PaymentApprovalSeal([{ kid: kid!, key: Buffer.alloc(32, 0x66) }]);
    await raise(forged.seal({ consentId: victim.consentId, clientId: h.clientId, psuId: await h.psuId('alice'), debtorAccountId: debtor, terms: raised }));
    expectError(await pay(victim.psuToken, victim.consentId, initiation('250.00', 'E2E-RESEAL')), 400, 'U008');
    expect(await fixtures.available(debtor)).toBe('500.00000');
    // Put back as approved, the consent pays what the PSU approved.
    await h.dataSource.query(`UPDATE payment_consent SET initiation = jsonb_set(initiation, '{InstructedAmount,Amount}', '"25.00"'), initiation_hash = $2 WHERE consent_id = $1`, [victim.consentId, sealed]);
    expect((await pay(victim.psuToken, victim.consentId, initiation('25.00', 'E2E-RESEAL'))).status).toBe(201);
  });

  it('creates a payment without the funds as RJCT with StatusReason AM04, and debits nothing', async () => {
    await setBalance(debtor, '20.00');
    const { consentId, psuToken } = await authorisedConsent(initiation('25.00', 'E2E-POOR'));
    const funds = await h.tpp('GET', `${CONSENTS}/${consentId}/funds-confirmation`, { token: psuToken });
    expect(funds.body.Data.FundsAvailableResult.FundsAvailable).toBe(false);
    const paid = await pay(psuToken, consentId, initiation('25.00', 'E2E-POOR'));
    expect(paid.status).toBe(201);
    expectPis('OBWriteDomesticResponse5', paid.body);
    expect(paid.body.Data).toMatchObject({ Status: 'RJCT', StatusReason: [{ StatusReasonCode: 'AM04', StatusReasonDescription: 'Insufficient funds' }] });
    const [{ amount }] = await h.dataSource.query(`SELECT amount::text FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [debtor]);
    expect(amount).toBe('20.00000');
    // The rejection names the PSU, whose "payment was not made" alert follows it.
    const [change] = await h.dataSource.query(
      `SELECT o.event->>'psuId' AS psu_id, c.psu_id::text AS consent_psu FROM audit_outbox o JOIN payment_consent c ON c.consent_id = o.event->>'consentId'
        WHERE o.event->>'type' = 'payment.status-changed' AND o.event->'data'->>'paymentId' = $1`,
      [paid.body.Data.DomesticPaymentId],
    );
    expect(change).toEqual({ psu_id: expect.any(String), consent_psu: change.psu_id });
  });

  it('rejects a payment whose credit would take the payee past what the ledger holds (RJCT AM02), debiting nobody, never a 500', async () => {
    await setBalance(debtor, '100.00');
    await setBalance(creditorId, '9999999999999.00000');
    const { consentId, psuToken } = await authorisedConsent(initiation('5.00', 'E2E-OVERFLOW'));
    const paid = await pay(psuToken, consentId, initiation('5.00', 'E2E-OVERFLOW'));
    expect(paid.status).toBe(201);
    expectPis('OBWriteDomesticResponse5', paid.body);
    expect(paid.body.Data).toMatchObject({ Status: 'RJCT', StatusReason: [{ StatusReasonCode: 'AM02', StatusReasonDescription: 'The amount cannot be booked to these accounts' }] });
    expect(await fixtures.available(debtor)).toBe('100.00000');
    expect(await fixtures.available(creditorId)).toBe('9999999999999.00000');
    await setBalance(creditorId, '300.00');
  });

  it('takes only the PSU token of the consent the request names for the payment and the funds check', async () => {
    const first = await authorisedConsent();
    const second = await authorisedConsent();
    expectError(await pay(first.psuToken, second.consentId), 403, 'U042');
    expectError(await h.tpp('GET', `${CONSENTS}/${second.consentId}/funds-confirmation`, { token: first.psuToken }), 403, 'U042');
    expectError(await pay(cc, first.consentId), 403, 'U042');
    // An account-information token, and a payments token with the accounts scope only.
    expectError(await pay(await h.consentToken(first.consentId, { scope: 'accounts' }), first.consentId), 403, 'U042');
    // The consent's token cannot read the payment resources (client credentials only).
    expectError(await h.tpp('GET', `${CONSENTS}/${first.consentId}`, { token: first.psuToken }), 403, 'U042');
    // Nor account information: a payment token is not an account-access token.
    expectError(await h.tpp('GET', `${AISP}/accounts`, { token: await h.consentToken(first.consentId, { scope: 'payments' }) }), 403, 'U042');
  });

  it('refuses the PSU token of another kind of consent (VRP, funds confirmation) as the wrong token, 403 U042, not a consent status', async () => {
    const [alice] = await fixtures.accountsOf('alice');
    const payment = await authorisedConsent();
    const vrp = await fixtures.vrpConsent('alice', alice!, creditorAccount);
    const funds = await fixtures.fundsConfirmationConsent('alice', alice!);
    const before = await h.dataSource.query(`SELECT count(*)::int AS n FROM domestic_payment`);
    for (const token of [vrp.psuToken, await h.consentToken(funds.consentId, { scope: 'payments' })]) {
      const refused = await pay(token, payment.consentId);
      expectError(refused, 403, 'U042');
      expect(refused.body.Errors[0]!.Message).toBe('This endpoint takes the PSU’s token for a domestic-payment consent');
    }
    expect(await h.dataSource.query(`SELECT count(*)::int AS n FROM domestic_payment`)).toEqual(before);
    // The other way round too: a payment consent's token on the VRP and CoF funds checks.
    const vrpFunds = await h.signedPost(`${PISP}/domestic-vrp-consents/${payment.consentId}/funds-confirmation`, {
      idempotencyKey: false,
      token: payment.psuToken,
      body: { Data: { ConsentId: payment.consentId, InstructedAmount: { Amount: '1.00', Currency: 'GBP' } } },
    });
    expect({ status: vrpFunds.status, code: vrpFunds.body.Errors[0]!.ErrorCode }).toEqual({ status: 403, code: 'U042' });
    const cofFunds = await h.tpp('POST', '/open-banking/v4.0/cbpii/funds-confirmations', {
      token: await h.consentToken(payment.consentId, { scope: 'fundsconfirmations' }),
      body: { Data: { ConsentId: payment.consentId, Reference: 'R', InstructedAmount: { Amount: '1.00', Currency: 'GBP' } } },
    });
    expect({ status: cofFunds.status, code: cofFunds.body.Errors[0]!.ErrorCode }).toEqual({ status: 403, code: 'U042' });
    // The consent of the right kind still pays.
    expect((await pay(payment.psuToken, payment.consentId)).status).toBe(201);
  });

  it('refuses an AWAU consent’s token (never authorised) and answers consent creation only for the payments scope and the PISP role', async () => {
    const created = await createConsent();
    const awaiting = jsonString(created.body.Data.ConsentId);
    expectError(await pay(await h.consentToken(awaiting, { scope: 'payments' }), awaiting), 403, 'U009');
    expectError(await h.signedPost(CONSENTS, { token: await h.clientCredentialsToken(), body: { Data: { Initiation: initiation() }, Risk: {} } }), 403, 'U042');
    await h.dataSource.query(`UPDATE tpp SET roles = '{AISP}' WHERE client_id = $1`, [h.clientId]);
    try {
      expectError(await createConsent(), 403, 'U042');
    } finally {
      await h.dataSource.query(`UPDATE tpp SET roles = '{AISP,PISP,CBPII}' WHERE client_id = $1`, [h.clientId]);
    }
  });

  it('refuses bad bodies with the field’s code and Path, and writes nothing', async () => {
    const [{ n: before }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_consent`);
    const missing = { ...initiation() };
    delete missing.CreditorAccount;
    expectError(await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: missing }, Risk: {} } }), 400, 'U004', 'Data.Initiation.CreditorAccount');
    // The payee's Name is required (OBCashAccountCreditor3): until 7 December 2026 a consent without it was
    // created, and its answers broke their own schema.
    const { Name: _name, ...nameless } = creditorAccount;
    expectError(await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: { ...initiation(), CreditorAccount: nameless } }, Risk: {} } }), 400, 'U004', 'Data.Initiation.CreditorAccount.Name');
    expectError(await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: initiation('12.345678') }, Risk: {} } }), 400, 'U002', 'Data.Initiation.InstructedAmount.Amount');
    expectError(await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: initiation('0.00') }, Risk: {} } }), 400, 'U002', 'Data.Initiation.InstructedAmount.Amount');
    expectError(await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: { ...initiation(), Surprise: 1 } }, Risk: {} } }), 400, 'U005');
    expectError(await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: initiation() }, Risk: { PaymentPurposeCode: 'gdds' } } }), 400, 'U002', 'Risk.PaymentPurposeCode');
    expectError(await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: initiation() }, Risk: { CategoryPurposeCode: 'NONE' } } }), 400, 'U002', 'Risk.CategoryPurposeCode');
    expectError(await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: initiation() }, Risk: { DeliveryAddress: { TownName: 'Leeds' } } } }), 400, 'U005');
    expectError(await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: initiation() } } }), 400, 'U004', 'Risk');
    // A payee identification outside its scheme's form, or that does not print as itself: until 7 December
    // 2026 "\u202E87654321 40-04-04" was paid, and the approval page drew it as 40-40-04 12345678.
    const payee = (account: JsonInput): JsonInput => ({ Data: { Initiation: { ...initiation(), CreditorAccount: { ...creditorAccount, ...account } } }, Risk: {} });
    for (const account of [
      { Identification: '\u202E87654321 40-04-04' },
      { Identification: '4040041234567' },
      { Identification: '40-40-04 12345678' },
      { SchemeName: 'UK.OBIE.IBAN', Identification: 'GB28NWBK60161331926819' },
      { SchemeName: 'UK.OBIE.Wallet', Identification: 'wallet\u200B1' },
    ]) {
      expectError(await h.signedPost(CONSENTS, { token: cc, body: payee(account) }), 400, 'U002', 'Data.Initiation.CreditorAccount.Identification');
    }
    expectError(await h.signedPost(CONSENTS, { token: cc, body: payee({ SecondaryIdentification: 'ROLL\u202E1' }) }), 400, 'U002', 'Data.Initiation.CreditorAccount.SecondaryIdentification');
    const [{ n: after }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_consent`);
    expect(after).toBe(before);
    // The forms themselves are taken.
    expect((await h.signedPost(CONSENTS, { token: cc, body: payee({ SchemeName: 'UK.OBIE.IBAN', Identification: 'GB29NWBK60161331926819', SecondaryIdentification: 'ROLL 1' }) })).status).toBe(201);
  });

  it('checks the headers in the fixed order on the real routes: U007 before U019 before the body, and writes nothing', async () => {
    const [{ n: before }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_consent`);
    const body = { Data: { Initiation: initiation() }, Risk: {} };
    // No key and no signature: the key is checked first.
    expectError(await h.tpp('POST', CONSENTS, { token: cc, body }), 400, 'U007');
    // A key but no signature: U019, even with a body that would fail validation.
    expectError(await h.tpp('POST', CONSENTS, { token: cc, body: { Data: {} }, headers: { 'x-idempotency-key': 'order-1' } }), 400, 'U019');
    // Signed over other bytes than those sent: U015.
    const signedOther = await h.signedPost(CONSENTS, { token: cc, body: { ...body, Risk: { PaymentContextCode: 'BillingGoodsAndServicesInAdvance' } } });
    expect(signedOther.status).toBe(201);
    const stolen = await h.signedPost(CONSENTS, { token: cc, rawBody: JSON.stringify(body), headers: { 'x-jws-signature': 'eyJhbGciOiJQUzI1NiJ9..c2ln' } });
    expect(stolen.status).toBe(400);
    expect(['U015', 'U016', 'U017', 'U018']).toContain(stolen.body.Errors[0].ErrorCode);
    // No token at all is 401 before any header check.
    expect((await h.call('POST', CONSENTS, { body })).status).toBe(401);
    const [{ n: after }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_consent`);
    expect(after).toBe(before + 1);
  });

  it('answers a repeated payment with the same key with the first answer, and pays once even when both arrive at once', async () => {
    await setBalance(debtor, '300.00');
    const sequential = await authorisedConsent(initiation('10.00', 'E2E-IDEM-1'));
    const body = { Data: { ConsentId: sequential.consentId, Initiation: initiation('10.00', 'E2E-IDEM-1') }, Risk: {} };
    const first = await h.signedPost(PAYMENTS, { token: sequential.psuToken, body, idempotencyKey: 'pay-once-1' });
    expect(first.status).toBe(201);
    const again = await h.signedPost(PAYMENTS, { token: sequential.psuToken, body, idempotencyKey: 'pay-once-1' });
    expect(again.status).toBe(201);
    // The replay is the settled answer (stored with the ACSP status, in one transaction), not the staged PDNG one.
    expect(first.body.Data.Status).toBe('ACSP');
    expect(again.body).toEqual(first.body);
    const [stored] = await h.dataSource.query(`SELECT response_body FROM idempotency_key WHERE key = 'pay-once-1'`);
    expect(JSON.parse(stored.response_body)).toEqual(first.body);
    // The same key with another body is a conflict; another key is a second order of a spent consent.
    expectError(await h.signedPost(PAYMENTS, { token: sequential.psuToken, body: { ...body, Risk: { PaymentContextCode: 'TransferToThirdParty' } }, idempotencyKey: 'pay-once-1' }), 409, 'U029');
    expectError(await h.signedPost(PAYMENTS, { token: sequential.psuToken, body }), 400, 'U009');

    const concurrent = await authorisedConsent(initiation('11.00', 'E2E-IDEM-2'));
    const concurrentBody = { Data: { ConsentId: concurrent.consentId, Initiation: initiation('11.00', 'E2E-IDEM-2') }, Risk: {} };
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => h.signedPost(PAYMENTS, { token: concurrent.psuToken, body: concurrentBody, idempotencyKey: 'pay-once-2' })),
    );
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(answers.map((answer) => answer.body.Data.DomesticPaymentId)).size).toBe(1);
    const rows = await h.dataSource.query(`SELECT count(*)::int AS n FROM domestic_payment WHERE consent_id = ANY($1)`, [[sequential.consentId, concurrent.consentId]]);
    expect(rows[0].n).toBe(2);
    // Debited once each: 300.00 - 10.00 - 11.00.
    const [balance] = await h.dataSource.query(`SELECT amount::text AS amount FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [debtor]);
    expect(balance.amount).toBe('279.00000');
  });

  it('answers identical payments sent at the same instant alike: the settled ACSP answer, byte for byte, for every one', async () => {
    await setBalance(debtor, '300.00');
    const { consentId, psuToken } = await authorisedConsent(initiation('12.00', 'E2E-IDEM-3'));
    const body = { Data: { ConsentId: consentId, Initiation: initiation('12.00', 'E2E-IDEM-3') }, Risk: {} };
    // The duplicates wait on the first's key while it stages, then find its answer committed but not yet
    // settled (PDNG): each must answer what the first caller gets once the bank has debited.
    const answers = await Promise.all(Array.from({ length: 8 }, () => h.signedPost(PAYMENTS, { token: psuToken, body, idempotencyKey: 'pay-once-3' })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(201));
    expect(answers.map((answer) => answer.body.Data.Status)).toEqual(Array(8).fill('ACSP'));
    expect(answers.map((answer) => JSON.stringify(answer.body))).toEqual(Array(8).fill(JSON.stringify(answers[0]!.body)));
    expectPis('OBWriteDomesticResponse5', answers[0]!.body);
    const [{ n }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM domestic_payment WHERE consent_id = $1`, [consentId]);
    expect(n).toBe(1);
  });

  it('makes a duplicate wait for a settlement under way, and replays the first answer of one whose request died', async () => {
    await setBalance(debtor, '300.00');
    const { consentId, psuToken } = await authorisedConsent(initiation('13.00', 'E2E-IDEM-4'));
    const body = { Data: { ConsentId: consentId, Initiation: initiation('13.00', 'E2E-IDEM-4') }, Risk: {} };
    const first = await h.signedPost(PAYMENTS, { token: psuToken, body, idempotencyKey: 'pay-once-4' });
    expect(first.body.Data.Status).toBe('ACSP');
    const provisional = JSON.stringify({ ...first.body, Data: { ...first.body.Data, Status: 'PDNG' } });
    // As if the first request had stored its PDNG answer and were still at the bank: the duplicate waits
    // until the settled answer replaces it.
    await h.dataSource.query(`UPDATE idempotency_key SET response_body = $1, provisional_since = now() WHERE key = 'pay-once-4'`, [provisional]);
    const waiting = h.signedPost(PAYMENTS, { token: psuToken, body, idempotencyKey: 'pay-once-4' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await h.dataSource.query(`UPDATE idempotency_key SET response_body = $1, provisional_since = NULL WHERE key = 'pay-once-4'`, [JSON.stringify(first.body)]);
    expect((await waiting).body).toEqual(first.body);
    // As if the first request had died after storing its PDNG answer: once the mark is older than a
    // settlement can take (10 s), the duplicate replays the PDNG answer rather than wait for ever.
    await h.dataSource.query(`UPDATE idempotency_key SET response_body = $1, provisional_since = now() - interval '9.5 seconds' WHERE key = 'pay-once-4'`, [provisional]);
    const orphaned = await h.signedPost(PAYMENTS, { token: psuToken, body, idempotencyKey: 'pay-once-4' });
    expect(orphaned.status).toBe(201);
    expect(JSON.stringify(orphaned.body)).toBe(provisional);
    const [{ n }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM domestic_payment WHERE consent_id = $1`, [consentId]);
    expect(n).toBe(1);
  });

  it('answers 404 for a payment that does not exist', async () => {
    expectError(await h.tpp('GET', `${PAYMENTS}/dp-00000000-0000-4000-8000-000000000000`, { token: cc }), 404, 'U011');
  });

  // Until 7 December 2026 redactForAudit scanned amounts as free text and masked a group of eight digits or
  // more as an account number: a payment of ten million or more was recorded as "****5678.90".
  it('records a 12,345,678.90 GBP payment’s amount whole in consent.created, consent.authorised and payment.submitted', async () => {
    const amount = '12345678.90';
    await fixtures.setBalance(debtor, '20000000.00');
    const init = initiation(amount, 'BIG');
    const { consentId, psuToken } = await authorisedConsent(init);
    expect((await pay(psuToken, consentId, init)).status).toBe(201);
    const events: Array<{ type: string; amount: string | null }> = await h.dataSource.query(
      `SELECT event->>'type' AS type, event->'data'->>'amount' AS amount FROM audit_outbox WHERE event->>'consentId' = $1 AND event->'data' ? 'amount'`,
      [consentId],
    );
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['consent.created', 'consent.authorised', 'payment.submitted']));
    for (const event of events) expect(event).toEqual({ type: event.type, amount });
  });
});
