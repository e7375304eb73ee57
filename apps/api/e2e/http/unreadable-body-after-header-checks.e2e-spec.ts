import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, CallResult } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { ObAccount, PaymentFixtures } from '../support/payment-fixtures.js';
import { HeaderLine, rawRequest, RawAnswer } from '../support/raw-request.js';
import { TppMessageSigner } from '../support/tpp-message-signer.js';

const PISP = '/open-banking/v4.0/pisp';
const CONSENTS = `${PISP}/domestic-payment-consents`;
const PAYMENTS = `${PISP}/domestic-payments`;
const MALFORMED = '{"Data": {"Initiation": ';
const TOO_DEEP = `{"Data":{"Initiation":${'['.repeat(2_000)}${']'.repeat(2_000)}},"Risk":{}}`;
const NOT_JSON = { ErrorCode: 'U010', Message: 'The request body is not valid JSON' };
const NESTS_TOO_DEEP = { ErrorCode: 'U010', Message: 'The request body nests deeper than 32 levels' };
/** An object of `n` members no schema has (`k0` to `k<n-1>`), as JSON text. */
const membersJson = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(',')}}`;
// Until 6 December 2026 such a body went on to the DTO transformation, quadratic in an object's members:
// 80,000 of them (1 MiB) held the event loop for 6 to 19 s, on a sign-in as on a payment.
const TOO_WIDE = `{"Data":{"Initiation":{}},"Risk":${membersJson(1_001)}}`;
const TOO_WIDE_REFUSAL = { ErrorCode: 'U010', Message: 'The request body has an object of more than 1000 members' };
// Until 8 December 2026 arrays had no bound: 400,000 zeros (800 KB) held a sign-in's event loop about a second (a probe's find).
const TOO_LONG = `{"Data":{"Initiation":{}},"Risk":{"k":[${Array.from({ length: 1_001 }, () => '0').join(',')}]}}`;
const TOO_LONG_REFUSAL = { ErrorCode: 'U010', Message: 'The request body has an array of more than 1000 items' };

// Issue 12's order of checks: 401/403, then U007, then U019 -> U015, and only then the body (U010/U00x).
describe('a payment POST whose body cannot be read is refused only after the token, header and signature checks', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let signer: TppMessageSigner;
  let cc: string;
  let debtor: string;
  let creditorAccount: ObAccount;
  let key = 0;

  beforeAll(async () => {
    h = await ApiHarness.start('unreadable_body');
    fixtures = await PaymentFixtures.of(h);
    signer = await TppMessageSigner.of(h.sandbox.tpp);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    [{ accountId: debtor }] = await fixtures.accountsOf('alice');
    [{ account: creditorAccount }] = await fixtures.accountsOf('bob', 1, 'Bob Builder');
  });
  afterAll(async () => h?.stop());

  const initiation = () => ({
    InstructionIdentification: 'INSTR-UNREADABLE',
    EndToEndIdentification: 'UNREADABLE',
    LocalInstrument: 'UK.OBIE.FPS',
    InstructedAmount: { Amount: '5.00', Currency: 'GBP' },
    CreditorAccount: creditorAccount,
  });

  /** A POST of `text` (exact bytes) with the given token and headers, and nothing else. */
  function post(path: string, text: string, token: string | undefined, headers: Record<string, string> = {}): Promise<CallResult> {
    return h.tpp('POST', path, { token, rawBody: text, headers: { 'content-type': 'application/json', ...headers } });
  }

  const errorsOf = (result: CallResult) => ({ status: result.status, errors: result.body.Errors });
  const consentCount = async () => ((await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_consent`)) as Array<{ n: number }>)[0]!.n;

  describe.each([
    ['malformed JSON', MALFORMED, NOT_JSON],
    ['JSON nested 2 000 levels deep', TOO_DEEP, NESTS_TOO_DEEP],
    ['an object of 1 001 members', TOO_WIDE, TOO_WIDE_REFUSAL],
    ['an array of 1 001 items', TOO_LONG, TOO_LONG_REFUSAL],
  ])('%s on POST domestic-payment-consents', (_case, text, refusal) => {
    it('answers 401 without a token', async () => {
      const result = await h.call('POST', CONSENTS, { rawBody: text, headers: { 'content-type': 'application/json' } });
      expect(errorsOf(result)).toEqual({ status: 401, errors: [expect.objectContaining({ ErrorCode: 'U007', Path: 'Authorization' })] });
    });

    it('answers 403 to a token without the payments scope', async () => {
      const result = await post(CONSENTS, text, await h.clientCredentialsToken({ scope: 'accounts' }), { 'x-idempotency-key': `k-${++key}` });
      expect(result.status).toBe(403);
    });

    it('answers 400 U007 without x-idempotency-key', async () => {
      const result = await post(CONSENTS, text, cc, { 'x-jws-signature': await signer.sign(text) });
      expect(errorsOf(result)).toEqual({ status: 400, errors: [expect.objectContaining({ ErrorCode: 'U007', Path: 'x-idempotency-key' })] });
    });

    it('answers 400 U019 without x-jws-signature', async () => {
      const result = await post(CONSENTS, text, cc, { 'x-idempotency-key': `k-${++key}` });
      expect(errorsOf(result)).toEqual({ status: 400, errors: [expect.objectContaining({ ErrorCode: 'U019', Path: 'x-jws-signature' })] });
    });

    it('answers 400 U015 to a signature over other bytes', async () => {
      const result = await post(CONSENTS, text, cc, { 'x-idempotency-key': `k-${++key}`, 'x-jws-signature': await signer.sign(`${text} `) });
      expect(errorsOf(result)).toEqual({ status: 400, errors: [expect.objectContaining({ ErrorCode: 'U015', Path: 'x-jws-signature' })] });
    });

    it('answers 400 U010 in the spec’s shape once everything else holds, signed, writing nothing and leaving the key unused', async () => {
      const before = await consentCount();
      const idempotencyKey = `k-${++key}`;
      const result = await post(CONSENTS, text, cc, { 'x-idempotency-key': idempotencyKey, 'x-jws-signature': await signer.sign(text) });
      expect(errorsOf(result)).toEqual({ status: 400, errors: [refusal] });
      expectObSchema('OBErrorResponse1', result.body, 'payment-initiation');
      expect(result.body.Code).toBe('400 BadRequest');
      expect(result.headers.get('x-jws-signature')).toBeTruthy();
      expect(result.headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(await consentCount()).toBe(before);
      // The refusal came before idempotency (step 5): the key still takes its first body.
      const created = await h.signedPost(CONSENTS, { token: cc, idempotencyKey, body: { Data: { Initiation: initiation() }, Risk: {} } });
      expect(created.status).toBe(201);
    });
  });

  it('refuses an empty body with a content type as U010 after the signature too', async () => {
    expect(errorsOf(await post(CONSENTS, '', cc, { 'x-idempotency-key': `k-${++key}` }))).toEqual({ status: 400, errors: [expect.objectContaining({ ErrorCode: 'U019' })] });
    const result = await post(CONSENTS, '', cc, { 'x-idempotency-key': `k-${++key}`, 'x-jws-signature': await signer.sign('') });
    expect(errorsOf(result)).toEqual({ status: 400, errors: [NOT_JSON] });
  });

  describe('a DELETE or GET without a body (no Content-Length, or 0, and no Transfer-Encoding)', () => {
    /** `method` on `path` with the sandbox TPP's token and proof, these header lines, and `body` when given (its Content-Length with it). */
    async function bodyless(method: string, path: string, token: string, lines: readonly HeaderLine[], body?: string): Promise<RawAnswer> {
      const proof = await h.dpop.proof(method, `${h.api.publicUrl}${path}`, token);
      return rawRequest(h.api.url, method, path, [['Authorization', `DPoP ${token}`], ['DPoP', proof], ...lines], body);
    }
    const consentPath = (consentId: string) => `${AISP}/account-access-consents/${consentId}`;

    it.each([
      ['Content-Type: application/json and Content-Length: 0', 'application/json', ''],
      ['Content-Type: application/json and no Content-Length', 'application/json', undefined],
      ['a Content-Type no route reads (application/xml)', 'application/xml', undefined],
    ])('is read as having no body with %s: the consent is deleted (204)', async (_case, contentType, body) => {
      const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
      const token = await h.clientCredentialsToken();
      const deleted = await bodyless('DELETE', consentPath(consentId), token, [['Content-Type', contentType]], body);
      expect({ status: deleted.status, text: deleted.text }).toEqual({ status: 204, text: '' });
      const read = await bodyless('GET', consentPath(consentId), token, [['Content-Type', contentType]], body);
      expect({ status: read.status, consentStatus: read.body.Data.Status }).toEqual({ status: 200, consentStatus: 'CANC' });
    });

    it('still reads a DELETE body that is sent, and refuses it when it is not JSON (U010)', async () => {
      const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
      const refused = await bodyless('DELETE', consentPath(consentId), await h.clientCredentialsToken(), [['Content-Type', 'application/json']], MALFORMED);
      expect({ status: refused.status, errors: refused.body.Errors }).toEqual({ status: 400, errors: [NOT_JSON] });
    });
  });

  it('keeps the codes of a body that is JSON but not of the schema', async () => {
    const noRisk = await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: initiation() } } });
    expect(errorsOf(noRisk)).toEqual({ status: 400, errors: [expect.objectContaining({ ErrorCode: 'U004', Path: 'Risk' })] });
    const array = await h.signedPost(CONSENTS, { token: cc, body: [initiation()] });
    expect(errorsOf(array)).toEqual({ status: 400, errors: [expect.objectContaining({ ErrorCode: 'U010', Message: 'The request body must be a JSON object of the documented schema' })] });
  });

  it('checks the PSU’s token for the consent, then the headers, then the signature before a payment’s unreadable body', async () => {
    const created = await h.signedPost(CONSENTS, { token: cc, body: { Data: { Initiation: initiation() }, Risk: {} } });
    const { psuToken } = await fixtures.approve(created, debtor, 'payments');
    expect((await post(PAYMENTS, MALFORMED, cc, { 'x-idempotency-key': `k-${++key}`, 'x-jws-signature': await signer.sign(MALFORMED) })).status).toBe(403);
    expect(errorsOf(await post(PAYMENTS, MALFORMED, psuToken))).toEqual({ status: 400, errors: [expect.objectContaining({ ErrorCode: 'U007', Path: 'x-idempotency-key' })] });
    expect(errorsOf(await post(PAYMENTS, MALFORMED, psuToken, { 'x-idempotency-key': `k-${++key}` }))).toEqual({ status: 400, errors: [expect.objectContaining({ ErrorCode: 'U019' })] });
    const signed = await post(PAYMENTS, MALFORMED, psuToken, { 'x-idempotency-key': `k-${++key}`, 'x-jws-signature': await signer.sign(MALFORMED) });
    expect(errorsOf(signed)).toEqual({ status: 400, errors: [NOT_JSON] });
  });

  it('checks the token before an AIS consent’s unreadable body', async () => {
    const noToken = await h.call('POST', `${AISP}/account-access-consents`, { rawBody: MALFORMED, headers: { 'content-type': 'application/json' } });
    expect(noToken.status).toBe(401);
    const withToken = await post(`${AISP}/account-access-consents`, MALFORMED, await h.clientCredentialsToken());
    expect(errorsOf(withToken)).toEqual({ status: 400, errors: [NOT_JSON] });
  });

  it.each(['/customer/sessions', '/admin/sessions'])('still refuses unreadable JSON on %s at once, as a plain problem body', async (path) => {
    const malformed = await h.call('POST', path, { rawBody: MALFORMED, headers: { 'content-type': 'application/json' } });
    expect({ status: malformed.status, body: malformed.body }).toEqual({ status: 400, body: { error: 'malformed_body', message: 'The request body is not valid JSON' } });
    const deep = await h.call('POST', path, { rawBody: `{"username":${'['.repeat(5_000)}${']'.repeat(5_000)}}`, headers: { 'content-type': 'application/json' } });
    expect({ status: deep.status, body: deep.body }).toEqual({ status: 400, body: { error: 'malformed_body', message: 'The request body nests deeper than 32 levels' } });
    // Before any password is looked at: no sign-in needed to send it.
    const wide = await h.call('POST', path, { rawBody: `{"username":"alice","password":"x",${membersJson(80_000).slice(1)}`, headers: { 'content-type': 'application/json' } });
    expect({ status: wide.status, body: wide.body }).toEqual({ status: 400, body: { error: 'malformed_body', message: 'The request body has an object of more than 1000 members' } });
    const long = await h.call('POST', path, { rawBody: `{"username":[${Array.from({ length: 400_000 }, () => '0').join(',')}],"password":"x"}`, headers: { 'content-type': 'application/json' } });
    expect({ status: long.status, body: long.body }).toEqual({ status: 400, body: { error: 'malformed_body', message: 'The request body has an array of more than 1000 items' } });
  });

  it('reads an object of exactly 1000 members, then refuses the members no schema has as usual (U005)', async () => {
    const text = `{"Data":{"Initiation":${JSON.stringify(initiation())}},"Risk":${membersJson(1_000)}}`;
    const result = await post(CONSENTS, text, cc, { 'x-idempotency-key': `k-${++key}`, 'x-jws-signature': await signer.sign(text) });
    expect(result.status).toBe(400);
    expect(result.body.Errors).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorCode: 'U005', Path: 'Risk.k0' })]));
  });
});
