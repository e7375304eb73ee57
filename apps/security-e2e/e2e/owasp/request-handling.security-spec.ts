import { SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AISP,
  attackerKey,
  AttackPlatform,
  authorisedConsent,
  AuthorisedConsent,
  callWithToken,
  claimsOf,
  clientCredentials,
  expectNothingWritten,
  HttpResult,
  obErrorCode,
  RecordingServer,
  secretsInLogs,
  send,
  signIn,
  startAttackPlatform,
  startRecordingServer,
} from '../support/attack-platform.js';

let platform: AttackPlatform;
let alice: AuthorisedConsent;
let recorder: RecordingServer;
let api: string;
let auth: string;

beforeAll(async () => {
  platform = await startAttackPlatform('requests');
  alice = await authorisedConsent(platform, platform.tpp);
  recorder = await startRecordingServer();
  api = platform.env.API_URL!;
  auth = platform.env.AUTH_SERVER_URL!;
});

afterAll(async () => {
  await recorder?.close();
  await platform?.stop();
});

const CONSENTS = `${AISP}/account-access-consents`;

/** A consent creation body with `data` merged into Data (and `top` into the body). */
function consentBody(data: Record<string, unknown>, top: Record<string, unknown> = {}): Record<string, unknown> {
  return { Data: { Permissions: ['ReadAccountsBasic'], ...data }, Risk: {}, ...top };
}

/** Text no error answer may carry: a stack frame, SQL, driver or framework internals. */
const INTERNALS = /\bat [\w.<>]+ \(|node_modules|QueryFailedError|SELECT |INSERT |UPDATE |DELETE FROM|syntax error|duplicate key|\.ts:\d+|\.js:\d+/i;

/**
 * OWASP API3:2023 broken object property level authorization: a TPP sets only the properties the
 * consent's schema gives it; every property the platform owns (status, ids, dates, the PSU, accounts)
 * is refused by name, and no consent is created.
 */
describe('OWASP API3:2023 broken object property level authorization', () => {
  it('refuses consent creation that sets the fields the platform owns (Status, ConsentId, CreationDateTime ...)', async () => {
    const token = await clientCredentials(platform, platform.tpp);
    const owned: Array<[string, unknown]> = [
      ['Status', 'Authorised'],
      ['ConsentId', 'aac-00000000-0000-0000-0000-000000000001'],
      ['CreationDateTime', '2020-01-01T00:00:00+00:00'],
      ['StatusUpdateDateTime', '2020-01-01T00:00:00+00:00'],
      ['StatusReason', [{ StatusReasonCode: 'U000' }]],
      ['AccountIds', [alice.accountIds[0]]],
      ['PsuId', 'alice'],
      ['ClientId', platform.tppBCredentials.client_id],
    ];
    for (const [field, value] of owned) {
      const result = await expectNothingWritten(platform, () => platform.tpp.api(token, 'POST', CONSENTS, consentBody({ [field]: value })));
      expect(result.status).toBe(400);
      expect(result.body.Errors).toEqual([{ ErrorCode: 'U005', Message: `Data.${field} is not a field of this resource`, Path: `Data.${field}` }]);
    }
  });

  it('refuses unknown fields at the top level and in Risk', async () => {
    const token = await clientCredentials(platform, platform.tpp);
    const cases: Array<[Record<string, unknown>, string]> = [
      [consentBody({}, { Links: { Self: 'https://evil.example' } }), 'Links'],
      [consentBody({}, { Meta: { TotalPages: 1 } }), 'Meta'],
      [consentBody({}, { Risk: { PaymentContextCode: 'EcommerceGoods' } }), 'Risk.PaymentContextCode'],
    ];
    for (const [body, path] of cases) {
      const result = await expectNothingWritten(platform, () => platform.tpp.api(token, 'POST', CONSENTS, body));
      expect(result.status).toBe(400);
      expect(result.body.Errors).toEqual([{ ErrorCode: 'U005', Message: `${path} is not a field of this resource`, Path: path }]);
    }
  });

  it('refuses prototype pollution through __proto__ and constructor keys', async () => {
    const token = await clientCredentials(platform, platform.tpp);
    for (const text of [
      '{"Data":{"Permissions":["ReadAccountsBasic"],"__proto__":{"Status":"Authorised"}},"Risk":{}}',
      '{"Data":{"Permissions":["ReadAccountsBasic"]},"Risk":{},"constructor":{"prototype":{"Status":"Authorised"}}}',
    ]) {
      const result = await expectNothingWritten(platform, () => rawTppPost(token, CONSENTS, text));
      expect(result.status).toBe(400);
      expect(obErrorCode(result)).toBe('U010');
    }
  });
});

/** POST a raw JSON text with TPP A's DPoP key (through openid-client, so the proof is valid). */
async function rawTppPost(token: string, path: string, text: string): Promise<HttpResult> {
  const response = await oidc.fetchProtectedResource(
    platform.tpp.config,
    token,
    new URL(`${api}${path}`),
    'POST',
    text,
    new Headers({ accept: 'application/json', 'content-type': 'application/json', 'x-fapi-customer-ip-address': '203.0.113.7' }),
    { DPoP: platform.tpp.dpop },
  );
  const body = await response.text();
  let parsed: HttpResult['body'] = body;
  try {
    parsed = JSON.parse(body) as HttpResult['body'];
  } catch {
    // not JSON: asserted as text
  }
  return { status: response.status, headers: response.headers, body: parsed, text: body };
}

/**
 * OWASP API4:2023 unrestricted resource consumption: a body, string, nesting or page past its bound is
 * refused at once, in the API's error format, without a 500 and without a write.
 */
describe('OWASP API4:2023 unrestricted resource consumption', () => {
  it('refuses a body over API_BODY_LIMIT with 413', async () => {
    const token = await clientCredentials(platform, platform.tpp);
    const body = consentBody({}, { Padding: 'x'.repeat(1024 * 1024 + 1) });
    const result = await expectNothingWritten(platform, () => platform.tpp.api(token, 'POST', CONSENTS, body));
    expect(result.status).toBe(413);
    expect(result.body.Errors).toEqual([{ ErrorCode: 'U010', Message: 'The request body is too large' }]);
  });

  it('refuses long strings in the body, a path id and the page cursor', async () => {
    const token = await clientCredentials(platform, platform.tpp);
    const long = 'A'.repeat(200_000);
    const permission = await expectNothingWritten(platform, () => platform.tpp.api(token, 'POST', CONSENTS, consentBody({ Permissions: [long] })));
    expect(permission.status).toBe(400);
    expect(permission.body.Errors[0]).toMatchObject({ ErrorCode: 'U002', Path: 'Data.Permissions' });
    expect(JSON.stringify(permission.body)).not.toContain(long.slice(0, 100));
    const date = await expectNothingWritten(platform, () => platform.tpp.api(token, 'POST', CONSENTS, consentBody({ ExpirationDateTime: `2030-01-01T00:00:00${long}` })));
    expect(date.status).toBe(400);
    expect(date.body.Errors[0]).toMatchObject({ ErrorCode: 'U003', Path: 'Data.ExpirationDateTime' });
    const id = await expectNothingWritten(platform, () => platform.tpp.api(token, 'GET', `${CONSENTS}/aac-${'a'.repeat(90)}%27`));
    expect(id.status).toBe(400);
    expect(id.body.Errors).toEqual([{ ErrorCode: 'U002', Message: 'ConsentId is not a valid identifier', Path: 'ConsentId' }]);
    const page = await expectNothingWritten(platform, () => platform.tpp.api(alice.accessToken, 'GET', `${AISP}/accounts/${alice.accountIds[0]}/transactions?page=${'a'.repeat(513)}`));
    expect(page.status).toBe(400);
    expect(page.body.Errors[0]).toMatchObject({ ErrorCode: 'U002', Path: 'page' });
  });

  it('refuses JSON nested thousands of levels deep with 400, before validation walks it (no 500)', async () => {
    const token = await clientCredentials(platform, platform.tpp);
    for (const depth of [33, 2_000, 5_000]) {
      const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const signIn = await expectNothingWritten(platform, () =>
        send(`${api}/customer/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"username":${nested},"password":"x","otp":"123456"}`,
        }),
      );
      expect(signIn.status, `depth ${depth}`).toBe(400);
      const consent = await expectNothingWritten(platform, () => rawTppPost(token, CONSENTS, `{"Data":{"Permissions":${nested}},"Risk":{}}`));
      // Refused once the token and its proof are checked (the order of checks), before validation walks it.
      expect(consent.status, `depth ${depth}`).toBe(400);
      expect((consent.body as { Errors: unknown[] }).Errors).toEqual([{ ErrorCode: 'U010', Message: 'The request body nests deeper than 32 levels' }]);
      expect(JSON.stringify(signIn.body)).toContain('nests deeper than 32 levels');
    }
  });

  it('answers a path parameter over the router\'s limit with 400 in the OB error shape, without echoing it', async () => {
    const token = await clientCredentials(platform, platform.tpp);
    const id = `aac-${'z'.repeat(300)}`;
    const result = await expectNothingWritten(platform, () => send(`${api}${CONSENTS}/${id}`, { headers: { authorization: `DPoP ${token}` } }));
    // No operation of the spec answers 414 (it did until 7 December 2026).
    expect(result.status).toBe(400);
    expect((result.body as { Errors: unknown[] }).Errors).toEqual([{ ErrorCode: 'U002', Message: 'A path parameter is longer than 256 characters' }]);
    expect(result.text).not.toContain('zzzzzzzzzz');
  });

  it('refuses a page length outside its bounds on the admin audit listing', async () => {
    const session = await signIn(platform, 'admin', platform.sandbox.admin);
    for (const limit of ['0', '501', '-1', '1e9', 'all']) {
      const result = await expectNothingWritten(platform, () => send(`${api}/admin/audit-events?limit=${limit}`, { headers: { authorization: `Bearer ${session}` } }));
      expect(result.status).toBe(400);
      expect(result.body).toMatchObject({ error: 'invalid_request' });
      expect((result.body as { message: string }).message).toMatch(/\(limit\)$/);
    }
  });

  it('refuses an OB page size parameter: pages are the server\'s size', async () => {
    for (const query of ['page-size=100000', 'limit=100000', 'pageSize=100000']) {
      const result = await expectNothingWritten(platform, () => platform.tpp.api(alice.accessToken, 'GET', `${AISP}/accounts/${alice.accountIds[0]}/transactions?${query}`));
      expect(result.status).toBe(400);
      expect(result.body.Errors[0]).toMatchObject({ ErrorCode: 'U005', Path: query.split('=')[0] });
    }
  });
});

/**
 * OWASP API7:2023 server side request forgery: no URL a TPP supplies makes the platform call it. A
 * listener on loopback stands for an internal service and must see no request.
 */
describe('OWASP API7:2023 server side request forgery', () => {
  async function par(params: Record<string, string>): Promise<unknown> {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    return oidc
      .buildAuthorizationUrlWithPAR(
        platform.tpp.config,
        {
          redirect_uri: platform.tpp.tpp.redirect_uris[0],
          scope: 'openid accounts',
          response_type: 'code',
          code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
          code_challenge_method: 'S256',
          state: oidc.randomState(),
          resource: api,
          ...params,
        },
        { DPoP: platform.tpp.dpop },
      )
      .then(
        () => 'accepted',
        (error: unknown) => error,
      );
  }

  it('refuses a PAR redirect_uri that is not registered (an internal address)', async () => {
    for (const redirect of [`${recorder.url}/callback`, 'http://169.254.169.254/latest/meta-data/', 'https://sandbox-tpp.localhost.evil.example/callback']) {
      const outcome = await expectNothingWritten(platform, () => par({ redirect_uri: redirect }));
      expect(outcome).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/redirect_uri/) });
    }
    expect(recorder.hits).toEqual([]);
  });

  it('refuses a request_uri or request object pointing at an internal address', async () => {
    for (const [params, error] of [
      [{ request_uri: `${recorder.url}/request.jwt` }, 'request_uri_not_supported'],
      [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    ] as const) {
      const outcome = await expectNothingWritten(platform, () => par(params));
      expect(outcome).toMatchObject({ error });
    }
    const authorize = await expectNothingWritten(platform, () =>
      send(`${auth}/auth?client_id=${platform.tpp.tpp.client_id}&request_uri=${encodeURIComponent(`${recorder.url}/request.jwt`)}`),
    );
    expect(authorize.status).toBe(400);
    expect(authorize.text).toContain('<h1>Something went wrong</h1>');
    expect(recorder.hits).toEqual([]);
  });

  it('refuses a resource indicator naming an internal address', async () => {
    const outcome = await expectNothingWritten(platform, () => par({ resource: `${recorder.url}/` }));
    expect(outcome).toMatchObject({ error: 'invalid_target' });
    expect(recorder.hits).toEqual([]);
  });
});

/**
 * OWASP API10:2023 unsafe consumption of APIs: the API takes the authorization server's keys from its
 * discovery alone; key locations and keys named inside a token (jku, x5u, x5c, jwk, kid) are not
 * fetched or trusted.
 */
describe('OWASP API10:2023 unsafe consumption of APIs', () => {
  it('does not fetch or trust key locations named in a token header (jku, x5u, x5c, odd kid)', async () => {
    const attacker = await attackerKey();
    const forger = await attackerKey('PS256');
    const claims = { ...claimsOf(alice.accessToken), cnf: { jkt: attacker.jkt } };
    for (const extra of [
      { jku: `${recorder.url}/jwks.json` },
      { x5u: `${recorder.url}/cert.pem` },
      { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] },
      { kid: `${recorder.url}/jwks.json` },
      { kid: "' OR '1'='1" },
      { kid: '../../../../etc/passwd' },
    ]) {
      const token = await new SignJWT(claims).setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', ...extra }).sign(forger.privateKey);
      const result = await expectNothingWritten(platform, () => callWithToken(platform, attacker, token, 'GET', `${AISP}/accounts`));
      expect(result.status).toBe(401);
      expect(obErrorCode(result)).toBe('U006');
    }
    expect(recorder.hits).toEqual([]);
  });
});

/**
 * OWASP API8:2023 security misconfiguration: the pages and the authorization server send their
 * security headers, nothing names the framework, and errors carry no internals.
 */
describe('OWASP API8:2023 security misconfiguration', () => {
  it('sends the security headers on the dashboard and admin console pages', async () => {
    for (const path of ['/dashboard/login', '/admin-console/login']) {
      const result = await expectNothingWritten(platform, () => send(`${api}${path}`));
      expect(result.status).toBe(200);
      expect(result.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(result.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(result.headers.get('x-content-type-options')).toBe('nosniff');
      expect(result.headers.get('x-frame-options')).toBe('DENY');
      expect(result.headers.get('referrer-policy')).toBe('no-referrer');
      expect(result.headers.get('x-powered-by')).toBeNull();
    }
  });

  it("sends the pages' security headers on every answer under their paths: an unknown page, a refused post, a URL the router refuses", async () => {
    const answers: Array<[string, HttpResult, number]> = [];
    for (const root of ['/dashboard', '/admin-console']) {
      answers.push([`${root}/no-such-page`, await expectNothingWritten(platform, () => send(`${api}${root}/no-such-page`)), 404]);
      const json = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"alice"}' };
      answers.push([`${root}/login (JSON)`, await expectNothingWritten(platform, () => send(`${api}${root}/login`, json)), 415]);
      answers.push([`${root}/%zz`, await expectNothingWritten(platform, () => send(`${api}${root}/%zz`)), 400]);
    }
    for (const [what, result, status] of answers) {
      expect(result.status, what).toBe(status);
      expect(result.headers.get('content-security-policy'), what).toContain("frame-ancestors 'none'");
      expect(result.headers.get('x-frame-options'), what).toBe('DENY');
      expect(result.headers.get('referrer-policy'), what).toBe('no-referrer');
      expect(result.headers.get('cache-control'), what).toBe('no-store');
      expect(result.headers.get('x-content-type-options'), what).toBe('nosniff');
    }
  });

  it("sends the security headers on the authorization server's pages, its error pages and its own routes", async () => {
    for (const path of ['/interaction/unknown', '/auth?client_id=nobody', '/health', '/assets/interaction.css']) {
      const result = await expectNothingWritten(platform, () => send(`${auth}${path}`));
      expect(result.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(result.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(result.headers.get('x-powered-by'), path).toBeNull();
    }
  });

  it('sends nosniff and no-store on the API\'s JSON answers, and nosniff and a CSP on the provider\'s own JSON routes', async () => {
    const token = await clientCredentials(platform, platform.tpp);
    for (const result of [await send(`${api}${AISP}/accounts`), await platform.tpp.api(token, 'GET', CONSENTS + '/aac-unknown')]) {
      expect(result.headers.get('x-content-type-options')).toBe('nosniff');
      expect(result.headers.get('cache-control')).toBe('no-store');
    }
    for (const path of ['/.well-known/openid-configuration', '/jwks', '/token', '/request', '/no-such-route']) {
      const result = await expectNothingWritten(platform, () => send(`${auth}${path}`, path === '/token' || path === '/request' ? { method: 'POST' } : {}));
      expect(result.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(result.headers.get('content-security-policy'), path).toContain("default-src 'none'");
    }
  });

  it('answers malformed input without a stack trace, SQL or the input echoed', async () => {
    const token = await clientCredentials(platform, platform.tpp);
    const probes: Array<() => Promise<HttpResult>> = [
      () => rawTppPost(token, CONSENTS, '{"Data": {"Permissions": ["ReadAccountsBasic"]'),
      () => rawTppPost(token, CONSENTS, '{"Data":{"Permissions":["ReadAccountsBasic\'; DROP TABLE account_access_consent;--"]},"Risk":{}}'),
      () => platform.tpp.api(token, 'GET', `${CONSENTS}/aac-1'%20OR%20'1'%3D'1`).then(asResult),
      () => platform.tpp.api(alice.accessToken, 'GET', `${AISP}/accounts/${alice.accountIds[0]}/transactions?page=Zm9vYmFy`).then(asResult),
      () => platform.tpp.api(alice.accessToken, 'GET', `${AISP}/accounts/%00%27--/balances`).then(asResult),
      () => send(`${api}/customer/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username": {"$ne": null}, "password": [], "otp": 1}' }),
    ];
    for (const probe of probes) {
      const result = await expectNothingWritten(platform, probe);
      expect(result.status).toBeGreaterThanOrEqual(400);
      expect(result.status).toBeLessThan(500);
      expect(result.text).not.toMatch(INTERNALS);
      expect(result.text).not.toContain('DROP TABLE');
      expect(result.text).not.toContain("OR '1'");
    }
  });

  it('answers unknown routes and methods with 404 or 405 in the path\'s error format', async () => {
    const ob = await expectNothingWritten(platform, () => platform.tpp.api(alice.accessToken, 'GET', `${AISP}/no-such-resource`).then(asResult));
    expect(ob.status).toBe(404);
    expect((ob.body as { Errors: unknown[] }).Errors).toEqual([{ ErrorCode: 'U011', Message: 'No such resource' }]);
    const admin = await expectNothingWritten(platform, () => send(`${api}/admin/no-such-thing`));
    expect(admin.status).toBe(404);
    expect(admin.body).toEqual({ error: 'not_found', message: 'No such resource' });
    const method = await expectNothingWritten(platform, () => send(`${api}${AISP}/accounts`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }));
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET, HEAD');
    expect(obErrorCode(method)).toBe('U042');
  });
});

function asResult(result: { status: number; headers: Headers; body: unknown }): HttpResult {
  return { status: result.status, headers: result.headers, body: result.body as HttpResult['body'], text: JSON.stringify(result.body ?? '') };
}

/**
 * OWASP API9:2023 improper inventory management: only the documented v4.0 AIS paths answer; older
 * versions, unbuilt APIs and the usual debug endpoints do not exist.
 */
describe('OWASP API9:2023 improper inventory management', () => {
  it('answers 404 for the v3.1 paths of the same resources', async () => {
    for (const path of ['/open-banking/v3.1/aisp/accounts', `/open-banking/v3.1/aisp/accounts/${alice.accountIds[0]}/balances`, '/open-banking/v3.1/aisp/account-access-consents']) {
      const result = await expectNothingWritten(platform, () => platform.tpp.api(alice.accessToken, 'GET', path).then(asResult));
      expect(result.status).toBe(404);
      expect((result.body as { Errors: unknown[] }).Errors).toEqual([{ ErrorCode: 'U011', Message: 'No such resource' }]);
    }
  });

  it('answers 404 for APIs that are not built (international payments, VRP) and for debug endpoints', async () => {
    for (const path of [
      '/open-banking/v4.0/pisp/international-payment-consents',
      '/open-banking/v4.0/pisp/international-scheduled-payment-consents',
      '/open-banking/v4.0/vrp/domestic-vrp-consents',
      '/metrics',
      '/actuator/health',
      '/.env',
      '/graphql',
      '/debug/vars',
    ]) {
      const result = await expectNothingWritten(platform, () => send(`${api}${path}`));
      expect(result.status, path).toBe(404);
      expect(obErrorCode(result), path).toBe('U011');
    }
  });

  it('answers 404 for oidc-provider features the authorization server does not offer', async () => {
    for (const path of ['/reg', '/device/auth', '/backchannel', '/me/../reg']) {
      const result = await expectNothingWritten(platform, () => send(`${auth}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=x' }));
      expect(result.status, path).toBe(404);
    }
  });
});

describe('logs after the attacks', () => {
  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
