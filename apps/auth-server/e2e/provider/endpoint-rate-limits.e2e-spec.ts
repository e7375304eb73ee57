import { request } from 'node:http';
import { connect } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exportJWK, generateKeyPair } from 'jose';

import { RegisteredSandboxTpp, registerSandboxTpp } from '../../src/registration/sandbox-registration.js';
import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { assertionParams, clientAssertion, OAuthResponse, postForm } from '../support/raw-oauth.js';

const TOO_MANY = 'temporarily_unavailable';

function expectTooMany(response: OAuthResponse, description: string): void {
  expect(response.status).toBe(429);
  expect(response.body).toEqual({ error: TOO_MANY, error_description: description });
  const wait = Number(response.headers.get('retry-after'));
  expect(wait).toBeGreaterThan(0);
  expect(wait).toBeLessThanOrEqual(60);
  expect(response.headers.get('cache-control')).toBe('no-store');
}

describe('rate limits of /token and /request per client', () => {
  let fixture: AuthServerFixture;
  let issuer: string;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('rate_per_client', { OAUTH_RATE_LIMIT_PER_CLIENT: '4', OAUTH_RATE_LIMIT_PER_IP: '1000' });
    issuer = fixture.server.url;
  });
  afterAll(async () => fixture?.stop());

  it('counts only requests that passed the client’s authentication, and refuses those past its limit on /token and /request with 429', async () => {
    // Someone naming the client without its key spends nothing of its allowance.
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const forger = { client_id: fixture.credentials.tpp.client_id, jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'forged' }] } };
    for (let i = 0; i < 6; i++) {
      const forged = await postForm(`${issuer}/token`, {
        grant_type: 'client_credentials',
        scope: 'accounts',
        client_id: forger.client_id,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(forger, issuer),
      });
      expect(forged.status).toBe(401);
    }

    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      // No DPoP proof: refused after the client authenticated, so each one counts.
      statuses.push((await postForm(`${issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(fixture.credentials.tpp, issuer)) })).status);
      statuses.push((await postForm(`${issuer}/request`, { response_type: 'code', ...(await assertionParams(fixture.credentials.tpp, issuer)) })).status);
    }
    expect(statuses.every((s) => s === 400)).toBe(true);
    expectTooMany(
      await postForm(`${issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(fixture.credentials.tpp, issuer)) }),
      'too many requests from this client',
    );
    // Named by the assertion's sub alone, the same client is refused too.
    const { client_id: _named, ...unnamed } = await assertionParams(fixture.credentials.tpp, issuer);
    expectTooMany(await postForm(`${issuer}/request`, { response_type: 'code', ...unnamed }), 'too many requests from this client');
  });
});

describe('rate limits of /token and /request per client: requests together, and a form in any letter case', () => {
  let fixture: AuthServerFixture;
  let issuer: string;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('rate_per_client_burst', { OAUTH_RATE_LIMIT_PER_CLIENT: '3', OAUTH_RATE_LIMIT_PER_IP: '1000' });
    issuer = fixture.server.url;
  });
  afterAll(async () => fixture?.stop());

  it('serves at most its limit of requests arriving at the same instant, then refuses a form whose media type is in another case', async () => {
    // Until 8 December 2026 each of these read the client's count before any was counted: all 12 were served.
    const grants = await Promise.all(Array.from({ length: 12 }, async () => ({ grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(fixture.credentials.tpp, issuer)) })));
    const statuses = await Promise.all(grants.map(async (form) => (await postForm(`${issuer}/token`, form)).status));
    // Each served one is refused after the client authenticated (no DPoP proof): 400, and counted.
    expect(statuses.filter((status) => status === 400)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
    // Media types are case-insensitive (RFC 9110 section 8.3.1), as oidc-provider reads them: until 8 December
    // 2026 this form went unread by the limit and was served.
    const body = new URLSearchParams({ grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(fixture.credentials.tpp, issuer)) }).toString();
    const mixedCase = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded' }, body });
    expect(mixedCase.status).toBe(429);
  });
});

describe('rate limits of /token, /request and /register per client IP', () => {
  let fixture: AuthServerFixture;
  let issuer: string;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('rate_per_ip', { OAUTH_RATE_LIMIT_PER_CLIENT: '1000', OAUTH_RATE_LIMIT_PER_IP: '6' });
    issuer = fixture.server.url;
  });
  afterAll(async () => fixture?.stop());

  it('counts every request of an address to the three endpoints, and refuses the one past the limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      statuses.push((await postForm(`${issuer}/token`, { grant_type: 'client_credentials' })).status);
      statuses.push((await postForm(`${issuer}/request`, { response_type: 'code' })).status);
      statuses.push((await fetch(`${issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    }
    expect(statuses.some((s) => s === 429)).toBe(false);
    expectTooMany(await postForm(`${issuer}/token`, { grant_type: 'client_credentials' }), 'too many requests from this address');
    const register = await fetch(`${issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(register.status).toBe(429);
    expect(await register.json()).toEqual({ error: TOO_MANY, error_description: 'too many requests from this address' });
    expect(Number(register.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other endpoints are not limited: discovery still answers, and introspection and revocation (under
    // /token/) reach the provider, which asks for client authentication.
    expect((await fetch(`${issuer}/.well-known/openid-configuration`)).status).toBe(200);
    for (const path of ['/token/introspection', '/token/revocation']) {
      const answer = await postForm(`${issuer}${path}`, { token: 'not-a-token' });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: 'no client authentication mechanism provided' },
      });
    }
  });
});

describe('rate limits per client network behind a trusted proxy', () => {
  let fixture: AuthServerFixture;
  let issuer: string;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('rate_per_network', { OAUTH_RATE_LIMIT_PER_CLIENT: '1000', OAUTH_RATE_LIMIT_PER_IP: '3', TRUST_PROXY: '127.0.0.1/32,::1/128' });
    issuer = fixture.server.url;
  });
  afterAll(async () => fixture?.stop());

  const fromAddress = (address: string) => postForm(`${issuer}/token`, { grant_type: 'client_credentials' }, { 'x-forwarded-for': address });

  it('counts the addresses of one IPv6 /64, and the spellings of one IPv4 address, as one client', async () => {
    const spread = [];
    for (const host of ['1', '2', '3', 'ffff:1']) spread.push((await fromAddress(`2001:db8:5:6::${host}`)).status);
    expect(spread.slice(0, 3).includes(429)).toBe(false);
    expect(spread[3]).toBe(429);
    // Another /64 is another client.
    expect((await fromAddress('2001:db8:5:7::1')).status).not.toBe(429);
    const spellings = [];
    for (const address of ['10.9.9.9', '::ffff:10.9.9.9', '::FFFF:a09:909', '10.9.9.9']) spellings.push((await fromAddress(address)).status);
    expect(spellings.slice(0, 3).includes(429)).toBe(false);
    expect(spellings[3]).toBe(429);
  });
});

describe('rate limits of registration management (RFC 7592) per client', () => {
  let fixture: AuthServerFixture;
  let owner: RegisteredSandboxTpp;
  let other: RegisteredSandboxTpp;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('rate_register', { OAUTH_RATE_LIMIT_PER_CLIENT: '3', OAUTH_RATE_LIMIT_PER_IP: '1000', HTTP_REQUEST_TIMEOUT_MS: '1500' });
    const sandbox = { mode: 'sandbox' as const, dataDir: fixture.dataDir, authServerUrl: fixture.server.url };
    owner = await registerSandboxTpp(sandbox, { name: 'Rate Limited Owner', roles: ['AISP'], redirectUris: ['https://owner.localhost/callback'] });
    other = await registerSandboxTpp(sandbox, { name: 'Rate Limited Other', roles: ['AISP'], redirectUris: ['https://other.localhost/callback'] });
  });
  afterAll(async () => fixture?.stop());

  const manage = async (method: string, authorization?: string, body?: string): Promise<OAuthResponse> => {
    const headers: Record<string, string> = { ...(authorization ? { authorization } : {}), ...(body ? { 'content-type': 'application/jwt' } : {}) };
    const response = await fetch(owner.registration_client_uri, { method, headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  it('answers 408 and closes a registration whose body stops coming (slowloris) after HTTP_REQUEST_TIMEOUT_MS, before any limit counts it', async () => {
    const { hostname, port } = new URL(fixture.server.url);
    const started = Date.now();
    // Until 7 December 2026 no limit: the socket stayed open for as long as the client kept it.
    const answer = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect(Number(port), hostname, () => socket.write('POST /register HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/jwt\r\ncontent-length: 1000\r\n\r\neyJ'));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  });

  it('counts only requests bearing the client’s own registration access token: others cannot lock it out', async () => {
    const own = `Bearer ${owner.registration_access_token}`;
    expect((await manage('GET', own)).status).toBe(200);
    // Twice the client's limit of requests naming it without its token: a made-up one, none, another
    // client's valid token. Each is refused as unauthenticated and spends only the address's allowance.
    const refusals: number[] = [];
    for (let i = 0; i < 2; i++) {
      refusals.push((await manage('GET', 'Bearer attacker')).status);
      refusals.push((await manage('PUT', undefined, 'not.a.jwt')).status);
      refusals.push((await manage('DELETE', `Bearer ${other.registration_access_token}`)).status);
    }
    expect(refusals).toEqual([401, 401, 401, 401, 401, 401]);
    // The client still manages its registration, up to its own limit.
    expect((await manage('GET', own)).status).toBe(200);
    expect((await manage('GET', own)).status).toBe(200);
    expectTooMany(await manage('GET', own), 'too many requests from this client');
    // Its window is full for anyone naming it, and the other client keeps its own.
    expectTooMany(await manage('GET', 'Bearer attacker'), 'too many requests from this client');
    expect((await fetch(other.registration_client_uri, { headers: { authorization: `Bearer ${other.registration_access_token}` } })).status).toBe(200);
  });

  it('lets exactly its limit through when the client’s requests arrive at the same instant', async () => {
    const sandbox = { mode: 'sandbox' as const, dataDir: fixture.dataDir, authServerUrl: fixture.server.url };
    const racer = await registerSandboxTpp(sandbox, { name: 'Rate Limited Racer', roles: ['AISP'], redirectUris: ['https://racer.localhost/callback'] });
    const statuses = await Promise.all(
      Array.from({ length: 9 }, async () => (await fetch(racer.registration_client_uri, { headers: { authorization: `Bearer ${racer.registration_access_token}` } })).status),
    );
    // OAUTH_RATE_LIMIT_PER_CLIENT is 3: each request is counted and compared in one step, so no two share a count.
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(6);
  });
});

/** A POST whose request line carries `target` as it is (an absolute-form URL, say), which fetch never sends. */
function postRaw(issuer: string, target: string, form: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(issuer);
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const sent = request({ hostname, port, method: 'POST', path: target, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (answer) => {
      answer.resume();
      answer.on('end', () => resolve(answer.statusCode ?? 0));
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

describe('rate limits of /token and /request under every spelling oidc-provider serves', () => {
  let fixture: AuthServerFixture;
  let issuer: string;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('rate_spellings', { OAUTH_RATE_LIMIT_PER_CLIENT: '5', OAUTH_RATE_LIMIT_PER_IP: '1000' });
    issuer = fixture.server.url;
  });
  afterAll(async () => fixture?.stop());

  it('counts /TOKEN, /token/, /Request/, an absolute-form target and a fragment against the same allowance', async () => {
    const grant = async () => ({ grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(fixture.credentials.tpp, issuer)) });
    const par = async () => ({ response_type: 'code', ...(await assertionParams(fixture.credentials.tpp, issuer)) });
    // Each is served by the provider (400: no DPoP proof, after the client authenticated), so each counts.
    expect((await postForm(`${issuer}/TOKEN`, await grant())).status).toBe(400);
    expect((await postForm(`${issuer}/token/`, await grant())).status).toBe(400);
    expect((await postForm(`${issuer}/Request/`, await par())).status).toBe(400);
    expect(await postRaw(issuer, `${issuer}/token`, await grant())).toBe(400);
    expect(await postRaw(issuer, '/token#fragment', await grant())).toBe(400);
    expectTooMany(await postForm(`${issuer}/ToKeN/`, await grant()), 'too many requests from this client');
    expect(await postRaw(issuer, `${issuer}/REQUEST`, await par())).toBe(429);
  });
});
