import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { ObAccount, PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { TppMessageSigner } from '../support/tpp-message-signer.js';

/** A request body the test builds (what it reads back is the harness's JsonBody). */
type JsonInput = { [member: string]: unknown };

const PISP = '/open-banking/v4.0/pisp';
const CBPII = '/open-banking/v4.0/cbpii';
const CONSENTS = `${PISP}/domestic-payment-consents`;
const NUL = 'a\u0000b';
const LONE_SURROGATE = '\ud800x';
type ObSpec = 'payment-initiation' | 'vrp' | 'confirmation-funds';

// JSON carries U+0000 and a lone surrogate as \u escapes; PostgreSQL text and jsonb refuse both (a 500
// before). The global validation pipe refuses them as 400 U002 naming the field, after the guards.
describe('a body, query or path string PostgreSQL cannot store (U+0000, an unpaired surrogate) is a 400 U002 naming the field', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let signer: TppMessageSigner;
  let cc: string;
  let fundsCc: string;
  let debtor: PsuAccount;
  let payee: ObAccount;
  let key = 0;

  beforeAll(async () => {
    h = await ApiHarness.start('unstorable_text');
    fixtures = await PaymentFixtures.of(h);
    signer = await TppMessageSigner.of(h.sandbox.tpp);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    fundsCc = await h.clientCredentialsToken({ scope: 'fundsconfirmations' });
    [debtor] = (await fixtures.accountsOf('alice', 1, 'Alice')) as [PsuAccount];
    [{ account: payee }] = (await fixtures.accountsOf('bob', 1, 'Bob')) as [PsuAccount];
    await fixtures.setBalance(debtor.accountId, '1000.00');
  });
  afterAll(async () => h?.stop());

  const count = async (table: 'payment_consent' | 'vrp_payment'): Promise<number> =>
    ((await h.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`)) as Array<{ n: number }>)[0]!.n;

  function initiation(extra: JsonInput = {}): JsonInput {
    return { InstructionIdentification: 'I-1', EndToEndIdentification: 'E-1', InstructedAmount: { Amount: '10.00', Currency: 'GBP' }, CreditorAccount: payee, ...extra };
  }

  function expectFieldInvalid(result: CallResult, path: string, spec: ObSpec): void {
    expect(result.status).toBe(400);
    expectObSchema('OBErrorResponse1', result.body, spec);
    expect(result.body.Errors).toEqual([{ ErrorCode: 'U002', Message: `${path} must not contain U+0000 or an unpaired surrogate`, Path: path }]);
  }

  describe('POST /domestic-payment-consents', () => {
    it.each<[string, () => JsonInput, string]>([
      ['CreditorAccount.Name with U+0000', () => ({ Data: { Initiation: initiation({ CreditorAccount: { ...payee, Name: NUL } }) }, Risk: {} }), 'Data.Initiation.CreditorAccount.Name'],
      ['CreditorAccount.Name with an unpaired surrogate', () => ({ Data: { Initiation: initiation({ CreditorAccount: { ...payee, Name: LONE_SURROGATE } }) }, Risk: {} }), 'Data.Initiation.CreditorAccount.Name'],
      ['EndToEndIdentification with U+0000', () => ({ Data: { Initiation: initiation({ EndToEndIdentification: NUL }) }, Risk: {} }), 'Data.Initiation.EndToEndIdentification'],
      ['an item of RemittanceInformation.Unstructured', () => ({ Data: { Initiation: initiation({ RemittanceInformation: { Unstructured: ['rent', NUL] } }) }, Risk: {} }), 'Data.Initiation.RemittanceInformation.Unstructured'],
      ['Risk.MerchantCustomerIdentification', () => ({ Data: { Initiation: initiation() }, Risk: { MerchantCustomerIdentification: LONE_SURROGATE } }), 'Risk.MerchantCustomerIdentification'],
    ])('refuses %s and writes nothing', async (_case, body, path) => {
      const before = await count('payment_consent');
      expectFieldInvalid(await h.signedPost(CONSENTS, { token: cc, body: body() }), path, 'payment-initiation');
      expect(await count('payment_consent')).toBe(before);
    });

    it('refuses a field name with U+0000 on the object holding it, echoing neither name nor value', async () => {
      const result = await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: initiation() }, Risk: { [`Merchant${NUL}`]: 'x' } } });
      expect(result.status).toBe(400);
      expectObSchema('OBErrorResponse1', result.body, 'payment-initiation');
      expect(result.body.Errors).toEqual([{ ErrorCode: 'U002', Message: 'Risk has a field name with U+0000 or an unpaired surrogate', Path: 'Risk' }]);
    });

    // Issue 12's order: 401/403, then U007, then U019 -> U015, and only then the body.
    it('checks the token, the headers and the signature first, and leaves the idempotency key unused', async () => {
      const text = JSON.stringify({ Data: { Initiation: initiation({ EndToEndIdentification: NUL }) }, Risk: {} });
      const headers = { 'content-type': 'application/json' };
      expect((await h.call('POST', CONSENTS, { rawBody: text, headers })).status).toBe(401);
      expect((await h.tpp('POST', CONSENTS, { token: await h.clientCredentialsToken({ scope: 'accounts' }), rawBody: text, headers: { ...headers, 'x-idempotency-key': `k-${++key}` } })).status).toBe(403);
      const noKey = await h.tpp('POST', CONSENTS, { token: cc, rawBody: text, headers: { ...headers, 'x-jws-signature': await signer.sign(text) } });
      expect(noKey.body.Errors).toEqual([expect.objectContaining({ ErrorCode: 'U007', Path: 'x-idempotency-key' })]);
      const unsigned = await h.tpp('POST', CONSENTS, { token: cc, rawBody: text, headers: { ...headers, 'x-idempotency-key': `k-${++key}` } });
      expect(unsigned.body.Errors).toEqual([expect.objectContaining({ ErrorCode: 'U019' })]);
      const otherBytes = await h.tpp('POST', CONSENTS, { token: cc, rawBody: text, headers: { ...headers, 'x-idempotency-key': `k-${++key}`, 'x-jws-signature': await signer.sign(`${text} `) } });
      expect(otherBytes.body.Errors).toEqual([expect.objectContaining({ ErrorCode: 'U015' })]);
      const idempotencyKey = `k-${++key}`;
      const refused = await h.signedPost(CONSENTS, { token: cc, idempotencyKey, rawBody: text });
      expectFieldInvalid(refused, 'Data.Initiation.EndToEndIdentification', 'payment-initiation');
      expect(refused.headers.get('x-jws-signature')).toBeTruthy();
      const created = await h.signedPost(CONSENTS, { token: cc, idempotencyKey, body: { Data: { Initiation: initiation() }, Risk: {} } });
      expect(created.status).toBe(201);
    });
  });

  it('refuses it in a scheduled-payment consent', async () => {
    const body = { Data: { Permission: 'Create', Initiation: initiation({ RequestedExecutionDateTime: '2030-01-01T00:00:00+00:00', EndToEndIdentification: NUL }) }, Risk: {} };
    expectFieldInvalid(await h.signedPost(`${PISP}/domestic-scheduled-payment-consents`, { token: cc, body }), 'Data.Initiation.EndToEndIdentification', 'payment-initiation');
  });

  it('refuses it in a VRP consent, writing nothing', async () => {
    const before = await count('payment_consent');
    const controlParameters = {
      VRPType: ['UK.OBIE.VRPType.Other'],
      PSUAuthenticationMethods: ['UK.OBIE.SCA'],
      MaximumIndividualAmount: { Amount: '50.00', Currency: 'GBP' },
      PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP' }],
    };
    const body = { Data: { ControlParameters: controlParameters, Initiation: { CreditorAccount: { ...payee, Name: NUL } } }, Risk: {} };
    expectFieldInvalid(await h.signedPost(`${PISP}/domestic-vrp-consents`, { token: cc, body }), 'Data.Initiation.CreditorAccount.Name', 'vrp');
    expect(await count('payment_consent')).toBe(before);
  });

  it('refuses it in a funds-confirmation consent, writing nothing', async () => {
    const before = await count('payment_consent');
    const result = await h.tpp('POST', `${CBPII}/funds-confirmation-consents`, { token: fundsCc, body: { Data: { DebtorAccount: { ...debtor.account, Name: NUL } } } });
    expectFieldInvalid(result, 'Data.DebtorAccount.Name', 'confirmation-funds');
    expect(await count('payment_consent')).toBe(before);
  });

  it.each<[string, (data: JsonInput, risk: JsonInput) => void, string]>([
    ['Instruction.EndToEndIdentification', (data) => Object.assign(data.Instruction as JsonInput, { EndToEndIdentification: NUL }), 'Data.Instruction.EndToEndIdentification'],
    ['Instruction.RemittanceInformation.Unstructured', (data) => Object.assign(data.Instruction as JsonInput, { RemittanceInformation: { Unstructured: [LONE_SURROGATE] } }), 'Data.Instruction.RemittanceInformation.Unstructured'],
    ['Risk.MerchantCustomerIdentification', (_data, risk) => Object.assign(risk, { MerchantCustomerIdentification: NUL }), 'Risk.MerchantCustomerIdentification'],
  ])('refuses it in POST /domestic-vrps (%s), paying nothing', async (_case, spoil, path) => {
    const { consentId, psuToken } = await fixtures.vrpConsent('alice', debtor, payee);
    const data: JsonInput = {
      ConsentId: consentId,
      PSUAuthenticationMethod: 'UK.OBIE.SCANotRequired',
      VRPType: 'UK.OBIE.VRPType.Other',
      Initiation: { CreditorAccount: payee },
      Instruction: { InstructionIdentification: 'I-1', EndToEndIdentification: 'E-1', InstructedAmount: { Amount: '1.00', Currency: 'GBP' }, CreditorAccount: payee },
    };
    const risk: JsonInput = {};
    spoil(data, risk);
    const before = await count('vrp_payment');
    expectFieldInvalid(await h.signedPost(`${PISP}/domestic-vrps`, { token: psuToken, body: { Data: data, Risk: risk } }), path, 'vrp');
    expect(await count('vrp_payment')).toBe(before);
  });

  it('refuses it in a query string too: the admin audit search by TPP', async () => {
    const admin = { authorization: `Bearer ${await h.adminSession()}` };
    for (const value of ['%00']) {
      const result = await h.call('GET', `/admin/audit-events?clientId=a${value}b`, { headers: admin });
      expect(result.status, JSON.stringify(result.body)).toBe(400);
      expect(result.body).toEqual({ error: 'invalid_request', message: expect.stringContaining('clientId must not contain U+0000 or an unpaired surrogate') });
    }
    expect((await h.call('GET', '/admin/audit-events?clientId=ab', { headers: admin })).status).toBe(200);
  });

  it.each(['/customer/sessions', '/admin/sessions'])('refuses it on %s too, as a plain problem body', async (path) => {
    const result = await h.call('POST', path, { body: { username: NUL, password: 'x', otp: '000000' } });
    expect({ status: result.status, body: result.body }).toEqual({
      status: 400,
      body: { error: 'invalid_request', message: 'username must not contain U+0000 or an unpaired surrogate (username)' },
    });
  });
});
