import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AISP,
  AttackerKey,
  attackerKey,
  AttackPlatform,
  authorisedConsent,
  AuthorisedConsent,
  callWithToken,
  claimsOf,
  clientCredentials,
  compactJws,
  expectNothingWritten,
  HttpResult,
  obErrorCode,
  secretsInLogs,
  send,
  signIn,
  startAttackPlatform,
} from '../support/attack-platform.js';

/** The 401 every refused access token gets: U006 on Authorization, and the DPoP challenge naming invalid_token. */
function expectInvalidToken(result: HttpResult, reason: RegExp): void {
  expect(result.status).toBe(401);
  expect(obErrorCode(result)).toBe('U006');
  const error = (result.body as { Errors: Array<{ Message: string; Path: string }> }).Errors[0]!;
  expect(error.Path).toBe('Authorization');
  expect(error.Message).toMatch(reason);
  expect(result.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
}

/** The problem body of the customer and admin APIs for a request without a session of their realm. */
function expectUnauthenticated(result: HttpResult, realm: 'admin' | 'customer'): void {
  expect(result.status).toBe(401);
  expect(result.body).toEqual({ error: 'unauthenticated', message: `Sign in to the ${realm} API first` });
  expect(result.headers.get('www-authenticate')).toBe('Bearer');
}

let platform: AttackPlatform;
let alice: AuthorisedConsent;
let attacker: AttackerKey;
let accountPath: string;

beforeAll(async () => {
  platform = await startAttackPlatform('authn');
  alice = await authorisedConsent(platform, platform.tpp);
  attacker = await attackerKey();
  accountPath = `${AISP}/accounts/${alice.accountIds[0]}/balances`;
});

afterAll(async () => platform?.stop());

/**
 * OWASP API Security Top 10 (2023), API2 Broken Authentication: the API trusts only access tokens the
 * authorization server signed, for this API, with their claims as issued. A forged, re-signed or edited
 * token is refused before any data or state is touched.
 */
describe('OWASP API2:2023 broken authentication', () => {
  /** Alice's real token's header and claims, re-bound to the attacker's DPoP key (so only the token is at fault). */
  function stolenParts(): { header: Record<string, unknown>; claims: Record<string, unknown>; signature: string } {
    const [header, , signature] = alice.accessToken.split('.');
    return {
      header: JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>,
      claims: { ...claimsOf(alice.accessToken), cnf: { jkt: attacker.jkt } },
      signature: signature!,
    };
  }

  it('refuses an access token with alg none', async () => {
    const { header, claims } = stolenParts();
    for (const alg of ['none', 'None', 'NONE']) {
      const token = compactJws({ ...header, alg }, claims);
      const result = await expectNothingWritten(platform, () => callWithToken(platform, attacker, token, 'GET', accountPath));
      expectInvalidToken(result, /not valid/);
    }
  });

  it("refuses a token signed HS256 with the authorization server's public key as the secret", async () => {
    const { header, claims } = stolenParts();
    const jwks = (await send(`${platform.env.AUTH_SERVER_URL}/jwks`)).body as { keys: Array<Record<string, unknown>> };
    const publicKey = jwks.keys.find((key) => key.kid === header.kid)!;
    expect(publicKey).toBeDefined();
    for (const secret of [JSON.stringify(publicKey), String(publicKey.n)]) {
      const token = await new SignJWT(claims).setProtectedHeader({ ...header, alg: 'HS256' }).sign(new TextEncoder().encode(secret));
      const result = await expectNothingWritten(platform, () => callWithToken(platform, attacker, token, 'GET', accountPath));
      expectInvalidToken(result, /not valid/);
    }
  });

  it('refuses a token whose claims were edited after signing (consent, client, scope, expiry, subject)', async () => {
    const { header, claims, signature } = stolenParts();
    const edits: Array<Record<string, unknown>> = [
      { openbanking_intent_id: 'aac-00000000-0000-0000-0000-000000000000' },
      { client_id: platform.tppBCredentials.client_id },
      { scope: 'openid accounts payments' },
      { exp: (claims.exp as number) + 86_400 },
      { sub: 'bob' },
      // The original token's binding, restored: the signature still covers the attacker's jkt.
      {},
    ];
    for (const edit of edits) {
      const token = compactJws(header, { ...claims, ...edit }, signature);
      const result = await expectNothingWritten(platform, () => callWithToken(platform, attacker, token, 'GET', accountPath));
      expectInvalidToken(result, /the signature does not verify/);
    }
  });

  it('refuses a token for a foreign audience', async () => {
    const { header, claims, signature } = stolenParts();
    for (const aud of ['https://other-bank.example/api', [`https://other-bank.example/api`], platform.tpp.tpp.client_id]) {
      const token = compactJws(header, { ...claims, aud }, signature);
      const result = await expectNothingWritten(platform, () => callWithToken(platform, attacker, token, 'GET', accountPath));
      expectInvalidToken(result, /aud is not this API/);
    }
  });

  it('refuses a token signed by a key the authorization server does not hold, even one it names itself (jwk, kid)', async () => {
    const { header, claims } = stolenParts();
    const forger = await attackerKey('PS256');
    const { kid } = header;
    if (typeof kid !== 'string') throw new Error('the stolen token names no kid');
    for (const extra of [{ kid }, { kid: 'attacker' }, { jwk: forger.publicJwk }]) {
      const token = await new SignJWT(claims).setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', ...extra }).sign(forger.privateKey);
      const result = await expectNothingWritten(platform, () => callWithToken(platform, attacker, token, 'GET', accountPath));
      expectInvalidToken(result, /not valid/);
    }
  });

  it('refuses an access token sent in the query string (or as a form field)', async () => {
    const url = `${platform.env.API_URL}${accountPath}`;
    const query = await expectNothingWritten(platform, () => send(`${url}?access_token=${alice.accessToken}`, { headers: { accept: 'application/json' } }));
    expect(query.status).toBe(401);
    expect(query.body).toMatchObject({ Errors: [{ ErrorCode: 'U007', Path: 'Authorization' }] });
    const form = await expectNothingWritten(platform, () =>
      send(`${platform.env.API_URL}${AISP}/account-access-consents`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: `access_token=${alice.accessToken}`,
      }),
    );
    expect(form.status).toBe(415);
    expect(obErrorCode(form)).toBe('U010');
  });
});

/**
 * OWASP API5:2023 broken function level authorization: each function takes one kind of credential,
 * and every other kind is refused as if absent.
 */
describe('OWASP API5:2023 broken function level authorization', () => {
  it('refuses a TPP access token on the admin API', async () => {
    const token = await clientCredentials(platform, platform.tpp);
    for (const [method, path] of [
      ['GET', '/admin/audit-events'],
      ['GET', '/admin/tpps'],
      ['POST', `/admin/tpps/${platform.tppBCredentials.client_id}/suspend`],
      ['GET', '/admin/audit-events/export'],
      ['POST', '/admin/audit-chain/verify'],
    ] as const) {
      const result = await expectNothingWritten(platform, () => callWithToken(platform, attacker, token, method, path));
      expectUnauthenticated(result, 'admin');
    }
  });

  it("refuses a customer's session on the admin API", async () => {
    const session = await signIn(platform, 'customer', platform.sandbox.psus[2]!);
    for (const [method, path] of [
      ['GET', '/admin/audit-events'],
      ['GET', '/admin/tpps'],
      ['POST', `/admin/tpps/${platform.tppBCredentials.client_id}/suspend`],
      ['POST', '/admin/audit-chain/verify'],
    ] as const) {
      const result = await expectNothingWritten(platform, () => send(`${platform.env.API_URL}${path}`, { method, headers: { authorization: `Bearer ${session}` } }));
      expectUnauthenticated(result, 'admin');
    }
  });

  it("refuses an admin's session on the customer API", async () => {
    const session = await signIn(platform, 'admin', platform.sandbox.admin);
    for (const [method, path] of [
      ['GET', '/customer/consents'],
      ['DELETE', `/customer/consents/${alice.consentId}`],
    ] as const) {
      const result = await expectNothingWritten(platform, () => send(`${platform.env.API_URL}${path}`, { method, headers: { authorization: `Bearer ${session}` } }));
      expectUnauthenticated(result, 'customer');
    }
  });

  it('refuses a consent-bound token on consent creation, reading and deletion', async () => {
    const calls: Array<[string, string, unknown]> = [
      ['POST', `${AISP}/account-access-consents`, { Data: { Permissions: ['ReadAccountsBasic'] }, Risk: {} }],
      ['GET', `${AISP}/account-access-consents/${alice.consentId}`, undefined],
      ['DELETE', `${AISP}/account-access-consents/${alice.consentId}`, undefined],
    ];
    for (const [method, path, body] of calls) {
      const result = await expectNothingWritten(platform, () => platform.tpp.api(alice.accessToken, method, path, body));
      expect(result.status).toBe(403);
      expect(result.body.Errors[0]).toEqual({ ErrorCode: 'U042', Message: 'This endpoint takes a client-credentials token' });
    }
  });
});

describe('logs after the attacks', () => {
  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
