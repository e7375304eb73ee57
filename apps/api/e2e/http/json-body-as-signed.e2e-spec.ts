import { randomUUID } from 'node:crypto';

import { OB_CRITICAL_CLAIMS } from '@consentry/message-signing';
import { CompactSign, CryptoKey, importJWK, JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, CallResult, CUSTOMER_IP, JsonBody } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { ObAccount, PaymentFixtures } from '../support/payment-fixtures.js';
import { TppMessageSigner } from '../support/tpp-message-signer.js';

const PISP = '/open-banking/v4.0/pisp';
const CONSENTS = `${PISP}/domestic-payment-consents`;
const PAYMENTS = `${PISP}/domestic-payments`;
const NOT_UTF8 = { ErrorCode: 'U010', Message: 'The request body is not valid UTF-8' };
const MALFORMED_BODY = { error: 'malformed_body', message: 'The request body is not valid JSON' };

/** The request body's bytes: `before`, then `bytes` as they are, then `after` (each string as UTF-8). */
function withBytes(before: string, bytes: number[], after: string): Buffer {
  return Buffer.concat([Buffer.from(before, 'utf8'), Buffer.from(bytes), Buffer.from(after, 'utf8')]);
}

// A signed, non-repudiable body must say one thing: RFC 8259 §4 and I-JSON (RFC 7493 §2.3) for member
// names, RFC 8259 §8.1 for the encoding, RFC 9110 §5.6.6 for a quoted charset.
describe('a JSON body is read as exactly the bytes that were signed, or refused', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let signer: TppMessageSigner;
  let signingKey: CryptoKey;
  let cc: string;
  let debtor: string;
  let creditorAccount: ObAccount;

  beforeAll(async () => {
    h = await ApiHarness.start('json_body_as_signed');
    fixtures = await PaymentFixtures.of(h);
    signer = await TppMessageSigner.of(h.sandbox.tpp);
    const jwk = h.sandbox.tpp.jwks.keys.find((key) => key.kid === h.sandbox.tpp.signing.kid) as JWK;
    signingKey = (await importJWK(jwk, 'PS256')) as CryptoKey;
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    [{ accountId: debtor }] = await fixtures.accountsOf('alice');
    [{ account: creditorAccount }] = await fixtures.accountsOf('bob', 1, 'Bob Builder');
    await fixtures.setBalance(debtor, '10000.00');
  });
  afterAll(async () => h?.stop());

  /** `x-jws-signature` over exact bytes, as TppMessageSigner signs a string's. */
  async function signBytes(bytes: Uint8Array): Promise<string> {
    const crit = Object.fromEntries(OB_CRITICAL_CLAIMS.map((claim) => [claim, true]));
    const jws = await new CompactSign(bytes).setProtectedHeader(signer.header() as { alg: string }).sign(signingKey, { crit });
    const [protectedHeader, , signature] = jws.split('.');
    return `${protectedHeader}..${signature}`;
  }

  /** A signed POST of exact bytes (the harness sends strings only, which cannot hold invalid UTF-8). */
  async function signedBytes(path: string, bytes: Buffer, token: string, headers: Record<string, string> = {}): Promise<CallResult> {
    const response = await fetch(`${h.api.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `DPoP ${token}`,
        dpop: await h.dpop.proof('POST', `${h.api.publicUrl}${path}`, token),
        'x-fapi-customer-ip-address': CUSTOMER_IP,
        'x-idempotency-key': randomUUID(),
        'x-jws-signature': await signBytes(bytes),
        ...headers,
      },
      body: bytes,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as JsonBody };
  }

  const count = async (table: 'payment_consent' | 'domestic_payment' | 'account_access_consent') =>
    ((await h.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`)) as Array<{ n: number }>)[0]!.n;

  function expectSignedRefusal(result: CallResult, status: number, errors: unknown[]): void {
    expect({ status: result.status, errors: result.body.Errors }).toEqual({ status, errors });
    expectObSchema('OBErrorResponse1', result.body, 'payment-initiation');
    expect(result.headers.get('x-jws-signature')).toBeTruthy();
    expect(result.headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f-]{36}$/);
  }

  const initiationText = (amount: string) =>
    `{"InstructionIdentification":"INSTR-DUP","EndToEndIdentification":"DUP","LocalInstrument":"UK.OBIE.FPS",` +
    `"InstructedAmount":${amount},"CreditorAccount":${JSON.stringify(creditorAccount)}}`;

  describe('a member name given twice in one object', () => {
    it('refuses a payment whose InstructedAmount says 9000.00 and then 3.00, signed, paying nothing, and the consent and key still pay once the body is plain', async () => {
      const created = await h.signedPost(CONSENTS, { token: cc, rawBody: `{"Data":{"Initiation":${initiationText('{"Amount":"3.00","Currency":"GBP"}')}},"Risk":{}}` });
      const { consentId, psuToken } = await fixtures.approve(created, debtor, 'payments');
      const before = await fixtures.available(debtor);
      const payments = await count('domestic_payment');
      const ambiguous = `{"Data":{"ConsentId":"${consentId}","Initiation":${initiationText('{"Amount":"9000.00","Currency":"GBP","Amount":"3.00"}')}},"Risk":{}}`;
      const idempotencyKey = randomUUID();
      const result = await h.signedPost(PAYMENTS, { token: psuToken, idempotencyKey, rawBody: ambiguous });
      expectSignedRefusal(result, 400, [{ ErrorCode: 'U010', Message: 'The request body names Data.Initiation.InstructedAmount.Amount more than once' }]);
      expect(await count('domestic_payment')).toBe(payments);
      expect(await fixtures.available(debtor)).toBe(before);
      const plain = `{"Data":{"ConsentId":"${consentId}","Initiation":${initiationText('{"Amount":"3.00","Currency":"GBP"}')}},"Risk":{}}`;
      // The refusal came before idempotency: the key still takes its first body.
      expect((await h.signedPost(PAYMENTS, { token: psuToken, idempotencyKey, rawBody: plain })).status).toBe(201);
    });

    it('compares names after unescaping: "Risk" and "\\u0052isk" are the same member', async () => {
      const consents = await count('payment_consent');
      const result = await h.signedPost(CONSENTS, { token: cc, rawBody: `{"Data":{"Initiation":${initiationText('{"Amount":"3.00","Currency":"GBP"}')}},"Risk":{},"\\u0052isk":{}}` });
      expectSignedRefusal(result, 400, [{ ErrorCode: 'U010', Message: 'The request body names Risk more than once' }]);
      expect(await count('payment_consent')).toBe(consents);
    });

    it('refuses it on a route that takes JSON without a signature too (AIS consent creation)', async () => {
      const consents = await count('account_access_consent');
      const rawBody = '{"Data":{"Permissions":["ReadBalances"],"Permissions":["ReadAccountsDetail","ReadTransactionsDetail","ReadTransactionsCredits"]},"Risk":{}}';
      const result = await h.tpp('POST', `${AISP}/account-access-consents`, { token: await h.clientCredentialsToken(), rawBody, headers: { 'content-type': 'application/json' } });
      expect({ status: result.status, errors: result.body.Errors }).toEqual({
        status: 400,
        errors: [{ ErrorCode: 'U010', Message: 'The request body names Data.Permissions more than once' }],
      });
      expect(await count('account_access_consent')).toBe(consents);
    });

    it.each(['/customer/sessions', '/admin/sessions'])('refuses it on %s as a malformed body, signing no one in', async (path) => {
      const result = await h.call('POST', path, { rawBody: '{"username":"alice","username":"mallory","password":"x","otp":"000000"}', headers: { 'content-type': 'application/json' } });
      expect({ status: result.status, body: result.body }).toEqual({ status: 400, body: MALFORMED_BODY });
    });
  });

  describe('a body that is not UTF-8', () => {
    it.each([
      ['the byte FF', [0xff]],
      ['the overlong C0 AF (a "/")', [0xc0, 0xaf]],
      ['the encoded surrogate ED A0 80', [0xed, 0xa0, 0x80]],
    ])('refuses a signed payment consent whose creditor name holds %s, signed, writing nothing', async (_case, bytes) => {
      const consents = await count('payment_consent');
      const account = JSON.stringify({ ...creditorAccount, Name: 'Bob ' }).slice(0, -2);
      const body = withBytes(`{"Data":{"Initiation":{"InstructionIdentification":"INSTR-UTF8","EndToEndIdentification":"UTF8","InstructedAmount":{"Amount":"3.00","Currency":"GBP"},"CreditorAccount":${account}`, bytes, ` Builder"}}},"Risk":{}}`);
      expectSignedRefusal(await signedBytes(CONSENTS, body, cc), 400, [NOT_UTF8]);
      expect(await count('payment_consent')).toBe(consents);
    });

    it('refuses it on the customer API as a malformed body', async () => {
      const response = await fetch(`${h.api.url}/customer/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: withBytes('{"username":"al', [0xff], 'ice","password":"x","otp":"000000"}'),
      });
      expect({ status: response.status, body: (await response.json()) as unknown }).toEqual({ status: 400, body: MALFORMED_BODY });
    });

    it('still ignores a leading byte order mark (RFC 8259 §8.1: a parser MAY ignore it) and keeps the UTF-8 after it', async () => {
      const account = JSON.stringify({ ...creditorAccount, Name: 'Zoë Builder' });
      const body = withBytes('', [0xef, 0xbb, 0xbf], `{"Data":{"Initiation":{"InstructionIdentification":"INSTR-BOM","EndToEndIdentification":"BOM","InstructedAmount":{"Amount":"3.00","Currency":"GBP"},"CreditorAccount":${account}}},"Risk":{}}`);
      const result = await signedBytes(CONSENTS, body, cc);
      expect(result.status).toBe(201);
      expect(result.body.Data.Initiation.CreditorAccount.Name).toBe('Zoë Builder');
    });
  });

  describe('the charset of application/json', () => {
    const consentBody = () => `{"Data":{"Initiation":${initiationText('{"Amount":"3.00","Currency":"GBP"}')}},"Risk":{}}`;

    it.each(['application/json;charset="utf-8"', 'application/json; charset="UTF-8"', 'application/json; charset=utf-8'])('accepts %s, quoted or not (RFC 9110 §5.6.6)', async (contentType) => {
      const result = await h.signedPost(CONSENTS, { token: cc, rawBody: consentBody(), headers: { 'content-type': contentType } });
      expect(result.status).toBe(201);
      expect(result.headers.get('x-jws-signature')).toBeTruthy();
    });

    it.each(['application/json;charset="latin1"', 'application/json; charset=latin1', 'application/json; charset="utf-16"', 'application/json; charset="utf-8', 'application/json; charset=utf-8"'])(
      'still refuses %s with 415, signed, writing nothing',
      async (contentType) => {
        const consents = await count('payment_consent');
        const result = await h.signedPost(CONSENTS, { token: cc, rawBody: consentBody(), headers: { 'content-type': contentType } });
        expectSignedRefusal(result, 415, [{ ErrorCode: 'U010', Message: 'The request body must be application/json' }]);
        expect(await count('payment_consent')).toBe(consents);
      },
    );
  });
});
