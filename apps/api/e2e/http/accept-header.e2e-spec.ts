import { base64url, createLocalJWKSet, flattenedVerify, JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OB_IAT, OB_ISS, OB_TAN } from '@consentry/message-signing';

import { AISP, ApiHarness, CallResult } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { rawRequest } from '../support/raw-request.js';

const CONSENTS = `${AISP}/account-access-consents`;
const PAYMENT_CONSENTS = '/open-banking/v4.0/pisp/domestic-payment-consents';
const JWKS_PATH = '/.well-known/message-signing-jwks.json';
const NOT_ACCEPTABLE = [{ ErrorCode: 'U042', Message: 'The API answers application/json only' }];

// Every OB operation answers application/json, and the spec gives each a 406 (406Error) for a client
// that will not take it. The check runs before the token's, as the 415 of a body's media type does.
describe('the Accept header on the OB API', () => {
  let h: ApiHarness;
  let bankKeys: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    h = await ApiHarness.start('accept_header');
    bankKeys = createLocalJWKSet((await h.call('GET', JWKS_PATH)).body as unknown as { keys: JWK[] });
  });
  afterAll(async () => h?.stop());

  const consentBody = { Data: { Permissions: ['ReadBalances'] }, Risk: {} };

  async function createConsent(accept: string): Promise<CallResult> {
    return h.tpp('POST', CONSENTS, { token: await h.clientCredentialsToken(), body: consentBody, headers: { accept } });
  }

  function expectNotAcceptable(result: { status: number; headers: Headers; body: CallResult['body'] }): void {
    expect(result.status).toBe(406);
    expectObSchema('OBErrorResponse1', result.body);
    expect(result.body.Code).toBe('406 NotAcceptable');
    expect(result.body.Errors).toEqual(NOT_ACCEPTABLE);
    expect(result.headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f-]{36}$/);
  }

  describe('refused with 406 in the OB error shape', () => {
    it.each([
      'application/xml',
      'text/html, application/xhtml+xml',
      // q=0 excludes: the most specific range naming application/json decides.
      'application/json;q=0, */*',
      'application/json; q=0, text/plain',
      'application/*;q=0, text/*',
      '*/*;q=0',
      'application/json;q=0.000, application/*;q=0.5',
      'text/*, image/*',
    ])('Accept: %s', async (accept) => {
      expectNotAcceptable(await createConsent(accept));
    });

    it('on a GET too, and nothing is read', async () => {
      const consentId = await h.authorisedConsent(['ReadBalances']);
      expectNotAcceptable(await h.tpp('GET', `${AISP}/balances`, { token: await h.consentToken(consentId), headers: { accept: 'text/csv' } }));
    });

    it('before the token is looked at: a request without one gets the 406, not the 401', async () => {
      expectNotAcceptable(await h.call('POST', CONSENTS, { body: consentBody, headers: { accept: 'application/xml' } }));
    });

    it('signed on the signed paths, like every answer there', async () => {
      const result = await h.signedPost(PAYMENT_CONSENTS, { token: await h.clientCredentialsToken({ scope: 'payments' }), body: { Data: {} }, headers: { accept: 'application/xml' } });
      expectNotAcceptable(result);
      const header = result.headers.get('x-jws-signature');
      expect(header).toBeTruthy();
      const [protectedHeader, payload, signature] = header!.split('.');
      expect(payload).toBe('');
      const verified = await flattenedVerify(
        { protected: protectedHeader!, payload: base64url.encode(JSON.stringify(result.body)), signature: signature! },
        bankKeys,
        { algorithms: ['PS256'], crit: { [OB_IAT]: true, [OB_ISS]: true, [OB_TAN]: true } },
      );
      expect(verified.protectedHeader).toMatchObject({ alg: 'PS256', [OB_ISS]: h.config.messageSigningIssuer });
    });
  });

  describe('accepted', () => {
    it.each([
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/json, text/plain;q=0.5',
      'text/plain;q=0.5, application/json',
      '*/*',
      'application/*',
      'text/html, */*;q=0.1',
      'application/json;q=0, application/json;charset=utf-8',
    ])('Accept: %s', async (accept) => {
      const result = await createConsent(accept);
      expect(result.status).toBe(201);
      expectObSchema('OBReadConsentResponse1', result.body);
    });

    it('with no Accept header at all (fetch would send */*: raw node:http sends none)', async () => {
      const token = await h.clientCredentialsToken();
      const body = JSON.stringify(consentBody);
      const result = await rawRequest(
        h.api.url,
        'POST',
        CONSENTS,
        [
          ['authorization', `DPoP ${token}`],
          ['dpop', await h.dpop.proof('POST', `${h.api.publicUrl}${CONSENTS}`, token)],
          ['content-type', 'application/json'],
        ],
        body,
      );
      expect(result.status, result.text).toBe(201);
      expectObSchema('OBReadConsentResponse1', result.body);
    });

    it('off the OB API, which this check does not cover: the bank JWKS with Accept: text/html', async () => {
      const result = await h.call('GET', JWKS_PATH, { headers: { accept: 'text/html' } });
      expect(result.status).toBe(200);
    });
  });
});
