import { readFile, stat } from 'node:fs/promises';

import { publicJwkOf } from '@consentry/message-signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, JWK, JWTPayload, SignJWT } from 'jose';
import * as client from 'openid-client';

import { SANDBOX_DIRECTORY_ISSUER, SandboxDirectory, sandboxDirectoryKeyPath } from '../../src/registration/sandbox-directory.js';
import { RegisteredSandboxTpp, registerSandboxTpp, signRegistrationRequest } from '../../src/registration/sandbox-registration.js';
import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { PsuBrowser } from '../support/psu-browser.js';
import { approve, signIn } from '../support/psu-journey.js';
import { pushAuthorization, tppConfiguration } from '../support/tpp-client.js';

const REDIRECT = 'https://newcomer.localhost/callback';

describe('TPP onboarding: dynamic client registration with a software statement (RFC 7591 / 7592)', () => {
  let fixture: AuthServerFixture;
  let directory: SandboxDirectory;
  let registered: RegisteredSandboxTpp;
  const sandbox = () => ({ mode: 'sandbox' as const, dataDir: fixture.dataDir, authServerUrl: fixture.server.url });

  beforeAll(async () => {
    fixture = await startAuthServerFixture('registration');
    directory = await SandboxDirectory.open(sandbox());
    registered = await registerSandboxTpp(sandbox(), { name: 'Newcomer Payments', roles: ['PISP'], redirectUris: [REDIRECT] });
  });
  afterAll(async () => fixture?.stop());

  /** A TPP's own signing key: the private JWK it signs requests with, and the public set its statement carries. */
  interface TppKey {
    privateJwk: JWK;
    jwks: { keys: JWK[] };
  }

  async function tppKey(): Promise<TppKey> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return { privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' }, jwks: { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] } };
  }

  /** A TPP about to register: its key, and a statement of its software by the sandbox directory. */
  interface Applicant extends TppKey {
    softwareId: string;
    statement: string;
  }

  async function applicant(overrides: Partial<{ softwareId: string; roles: string[]; redirectUris: string[] }> = {}): Promise<Applicant> {
    const key = await tppKey();
    const softwareId = overrides.softwareId ?? crypto.randomUUID();
    const statement = await directory.sign({ softwareId, clientName: 'Statement App', roles: overrides.roles ?? ['AISP'], redirectUris: overrides.redirectUris ?? [REDIRECT], jwks: key.jwks });
    return { ...key, softwareId, statement };
  }

  function requestOf(who: Applicant, metadata: Record<string, unknown> = {}): Promise<string> {
    return signRegistrationRequest(who.privateJwk, { issuer: fixture.server.url, softwareId: who.softwareId, softwareStatement: who.statement, metadata });
  }

  /** A registration request with every claim set by hand, signed by `key` (default: the applicant's). */
  async function handMadeRequest(who: Applicant, claims: JWTPayload, key: JWK = who.privateJwk, alg = 'ES256'): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg, kid: key.kid! }).sign(await importJWK(key, alg));
  }

  function validClaims(who: Applicant): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return { iss: who.softwareId, aud: fixture.server.url, iat: now, exp: now + 60, jti: crypto.randomUUID(), software_statement: who.statement };
  }

  /** A statement signed with the sandbox directory's own key, with claims set by hand. */
  async function directoryStatement(claims: JWTPayload): Promise<string> {
    const { keys } = JSON.parse(await readFile(sandboxDirectoryKeyPath(fixture.dataDir), 'utf8')) as { keys: JWK[] };
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: keys[0]!.kid! }).sign(await importJWK(keys[0]!, 'ES256'));
  }

  async function register(body: string, contentType = 'application/jwt'): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
    const response = await fetch(`${fixture.server.url}/register`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  }

  /** What a registration writes: TPP rows and audit outbox rows, counted. */
  async function written(): Promise<{ tpps: number; outbox: number }> {
    const [row] = await fixture.db.dataSource.query(`SELECT (SELECT count(*)::int FROM tpp) AS tpps, (SELECT count(*)::int FROM audit_outbox) AS outbox`);
    return row;
  }

  it('registers a TPP in one call from the sandbox directory, stored Active with the statement’s roles', async () => {
    expect(registered.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(registered.registration_client_uri).toBe(`${fixture.server.url}/register/${registered.client_id}`);
    const [row] = await fixture.db.dataSource.query(`SELECT name, roles, status, client_metadata FROM tpp WHERE client_id = $1`, [registered.client_id]);
    expect(row).toMatchObject({ name: 'Newcomer Payments', roles: ['PISP'], status: 'Active' });
    expect(row.client_metadata).toMatchObject({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', scope: 'openid payments' });
    expect(JSON.stringify(row.client_metadata)).not.toContain('"d"');
    expect((await stat(registered.file)).mode & 0o777).toBe(0o600);
    const events = await fixture.db.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'type' = 'tpp.registered' AND event->>'clientId' = $1`, [registered.client_id]);
    expect(events[0].event.data).toMatchObject({ action: 'registered', softwareId: registered.software_id, roles: ['PISP'] });
    expect(JSON.stringify(events)).not.toContain(registered.registration_access_token);
  });

  it('issues the TPP a PS256 message-signing key: registered with its organisation, and its signing values written beside it', async () => {
    const signingKey = registered.jwks.keys.find((key) => key.kid === registered.signing.kid)!;
    expect(signingKey).toMatchObject({ kty: 'RSA', alg: 'PS256', use: 'sig', d: expect.any(String) });
    expect(registered.signing).toEqual({ kid: signingKey.kid, iss: `consentry-sandbox-org/${registered.software_id}`, tan: 'sandbox.consentry.local' });
    expect(registered.jwks.keys[0]).toMatchObject({ kty: 'EC', alg: 'ES256' });
    const [row] = await fixture.db.dataSource.query(`SELECT client_metadata FROM tpp WHERE client_id = $1`, [registered.client_id]);
    expect(row.client_metadata).toMatchObject({ org_id: 'consentry-sandbox-org', software_id: registered.software_id });
    const registeredKey = (row.client_metadata.jwks.keys as JWK[]).find((key) => key.kid === registered.signing.kid)!;
    expect(registeredKey).toEqual({ kty: 'RSA', n: signingKey.n, e: signingKey.e, alg: 'PS256', use: 'sig', kid: signingKey.kid });
    expect(JSON.parse(await readFile(registered.file, 'utf8')).signing).toEqual(registered.signing);
  });

  it('lets the registered TPP get tokens for its role’s scope only', async () => {
    const config = await tppConfiguration(fixture.server.url, registered as never);
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    expect((await client.clientCredentialsGrant(config, { scope: 'payments' }, { DPoP: dpop })).scope).toBe('payments');
    await expect(client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP: dpop })).rejects.toMatchObject({ status: 400, error: 'invalid_scope' });
  });

  it('refuses a registration without a software statement', async () => {
    const who = await applicant();
    const { software_statement: _omitted, ...claims } = validClaims(who);
    const response = await register(await handMadeRequest(who, claims));
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toEqual({ error: 'invalid_software_statement', error_description: 'software_statement is required' });
  });

  it('refuses a statement signed by an untrusted directory', async () => {
    const who = await applicant();
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ software_id: who.softwareId, software_client_name: 'Forged', software_roles: ['AISP', 'PISP'], software_redirect_uris: [REDIRECT], software_jwks: who.jwks })
      .setProtectedHeader({ alg: 'ES256', kid: 'unknown' })
      .setIssuer(SANDBOX_DIRECTORY_ISSUER)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    const response = await register(await requestOf({ ...who, statement: forged }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'unapproved_software_statement', error_description: 'software_statement is not signed by a trusted directory' });
  });

  it('refuses an HS256 statement', async () => {
    const who = await applicant();
    const hs = await new SignJWT({ software_id: 'hs' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(new TextEncoder().encode('x'.repeat(32)));
    const response = await register(await requestOf({ ...who, statement: hs }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_software_statement', error_description: 'software_statement must be signed with PS256 or ES256' });
  });

  it('refuses a statement without exp', async () => {
    const who = await applicant();
    const statement = await directoryStatement({
      iss: SANDBOX_DIRECTORY_ISSUER, iat: Math.floor(Date.now() / 1000), software_id: who.softwareId, software_client_name: 'No Exp', software_roles: ['AISP'], software_redirect_uris: [REDIRECT], software_jwks: who.jwks,
    });
    const before = await written();
    const response = await register(await requestOf({ ...who, statement }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_software_statement', error_description: 'software_statement claim exp is required' });
    expect(await written()).toEqual(before);
  });

  it('refuses a statement issued more than SSA_MAX_AGE_DAYS (30) ago, though not expired', async () => {
    const who = await applicant();
    const now = Math.floor(Date.now() / 1000);
    const statement = await directoryStatement({
      iss: SANDBOX_DIRECTORY_ISSUER, iat: now - 31 * 24 * 3600, exp: now + 3600, software_id: who.softwareId, software_client_name: 'Old', software_roles: ['AISP'], software_redirect_uris: [REDIRECT], software_jwks: who.jwks,
    });
    const response = await register(await requestOf({ ...who, statement }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_software_statement', error_description: 'software_statement is older than 30 days' });
  });

  it('refuses a statement whose text cannot be stored or shown as one line: U+0000 anywhere, a control character in the name', async () => {
    // Until 8 December 2026 a U+0000 was a 500 at the insert, and a tab in the name registered (it then
    // broke the admin's TPP list cursor). Nothing is written either way.
    const now = Math.floor(Date.now() / 1000);
    for (const [claims, description] of [
      [{ software_client_name: 'Nul\u0000 Ltd' }, 'software_statement.software_client_name holds a character that cannot be used (U+0000, or half of a surrogate pair)'],
      [{ software_redirect_uris: [`${REDIRECT}\u0000x`] }, 'software_statement.software_redirect_uris holds a character that cannot be used (U+0000, or half of a surrogate pair)'],
      [{ software_client_name: 'Tab\tTrading Ltd' }, 'software_client_name may not hold control characters'],
    ] as const) {
      const who = await applicant();
      const statement = await directoryStatement({
        iss: SANDBOX_DIRECTORY_ISSUER, iat: now, exp: now + 600, software_id: who.softwareId, software_client_name: 'Odd Text', software_roles: ['AISP'], software_redirect_uris: [REDIRECT], software_jwks: who.jwks, ...claims,
      });
      const before = await written();
      const response = await register(await requestOf({ ...who, statement }));
      expect({ status: response.status, body: response.body }).toEqual({ status: 400, body: { error: 'invalid_software_statement', error_description: description } });
      expect(await written()).toEqual(before);
    }
  });

  it('refuses a statement carrying its keys twice (software_jwks and software_jwks_endpoint)', async () => {
    const who = await applicant();
    const now = Math.floor(Date.now() / 1000);
    const statement = await directoryStatement({
      iss: SANDBOX_DIRECTORY_ISSUER, iat: now, exp: now + 600, software_id: who.softwareId, software_client_name: 'Twice', software_roles: ['AISP'], software_redirect_uris: [REDIRECT], software_jwks: who.jwks, software_jwks_endpoint: 'https://keys.localhost/jwks',
    });
    const response = await register(await requestOf({ ...who, statement }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_software_statement', error_description: 'software_statement must carry exactly one of software_jwks, software_jwks_endpoint and software_jwks_uri' });
  });

  it('refuses, cleanly and writing nothing, a request whose statement names a JWKS endpoint that cannot be read', async () => {
    const who = await applicant();
    const now = Math.floor(Date.now() / 1000);
    // Port 9 on loopback: nothing listens, the fetch is refused at once.
    const statement = await directoryStatement({
      iss: SANDBOX_DIRECTORY_ISSUER, iat: now, exp: now + 600, software_id: who.softwareId, software_client_name: 'Remote', software_roles: ['AISP'], software_redirect_uris: [REDIRECT], software_jwks_endpoint: 'https://127.0.0.1:9/jwks',
    });
    const before = await written();
    const response = await register(await requestOf({ ...who, statement }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_client_metadata', error_description: "the software statement's JWKS could not be read" });
    expect(await written()).toEqual(before);
  });

  it('refuses a redirect_uri the statement does not list', async () => {
    const response = await register(await requestOf(await applicant(), { redirect_uris: ['https://elsewhere.localhost/cb'] }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_redirect_uri', error_description: 'redirect_uris must be listed in the software statement' });
  });

  it('refuses client_secret authentication', async () => {
    const response = await register(await requestOf(await applicant(), { token_endpoint_auth_method: 'client_secret_basic' }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_client_metadata', error_description: 'token_endpoint_auth_method must be one of private_key_jwt' });
  });

  it('refuses the same software twice', async () => {
    const response = await register(await requestOf(await applicant({ softwareId: registered.software_id })));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_software_statement', error_description: 'this software is already registered' });
  });

  describe('the registration request (UK OB DCR: a JWT signed by a key of the statement)', () => {
    it('accepts application/jose as well as application/jwt', async () => {
      const who = await applicant();
      const response = await register(await requestOf(who), 'application/jose');
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ software_id: who.softwareId, client_name: 'Statement App' });
    });

    it('refuses the JSON body of plain RFC 7591, which anyone holding a copy of the statement could send', async () => {
      const who = await applicant();
      const before = await written();
      const response = await register(JSON.stringify({ software_statement: who.statement }), 'application/json');
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'invalid_client_metadata', error_description: 'the request body must be a signed JWT (Content-Type: application/jwt)' });
      expect(await written()).toEqual(before);
    });

    it('refuses a copy of the statement in a request signed by another key, and writes nothing', async () => {
      const who = await applicant();
      const thief = await tppKey();
      const before = await written();
      const response = await register(await handMadeRequest(who, validClaims(who), { ...thief.privateJwk, kid: who.privateJwk.kid! }));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'invalid_client_metadata', error_description: 'the registration request is not signed by a key of the software statement' });
      expect(await written()).toEqual(before);
      expect(await fixture.db.dataSource.query(`SELECT 1 FROM tpp WHERE client_metadata->>'software_id' = $1`, [who.softwareId])).toEqual([]);
    });

    it('refuses an unsigned request (alg none) and one signed HS256 with the statement key as secret, and writes nothing', async () => {
      const who = await applicant();
      const before = await written();
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(validClaims(who))}.`;
      const hs256 = await new SignJWT(validClaims(who)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JSON.stringify(who.jwks.keys[0])));
      for (const body of [unsigned, hs256]) {
        const response = await register(body);
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ error: 'invalid_client_metadata', error_description: 'the registration request must be signed with PS256 or ES256' });
      }
      expect(await written()).toEqual(before);
    });

    it('refuses a request that is not a JWT', async () => {
      const response = await register('not.a-jwt');
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'invalid_client_metadata', error_description: 'the request body is not a JWT' });
    });

    it.each([
      ['iss is not the software id', (c: JWTPayload) => ({ ...c, iss: 'another-software' }), 'the registration request claim iss is invalid'],
      ['aud is another server', (c: JWTPayload) => ({ ...c, aud: 'https://other-bank.example' }), 'the registration request claim aud is invalid'],
      ['jti is missing', ({ jti: _jti, ...c }: JWTPayload) => c, 'the registration request claim jti is required'],
      ['exp is missing', ({ exp: _exp, ...c }: JWTPayload) => c, 'the registration request claim exp is required'],
      ['iat is missing', ({ iat: _iat, ...c }: JWTPayload) => c, 'the registration request claim iat is required'],
      ['it has expired', (c: JWTPayload) => ({ ...c, exp: Math.floor(Date.now() / 1000) - 60 }), 'the registration request has expired'],
      ['it lives longer than an hour', (c: JWTPayload) => ({ ...c, exp: Math.floor(Date.now() / 1000) + 7200 }), 'the registration request must expire within 3600 seconds'],
      ['it is issued in the future', (c: JWTPayload) => ({ ...c, iat: Math.floor(Date.now() / 1000) + 120 }), 'the registration request is issued in the future'],
    ])('refuses a request whose %s, and writes nothing', async (_case, mutate, description) => {
      const who = await applicant();
      const before = await written();
      const response = await register(await handMadeRequest(who, mutate(validClaims(who))));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'invalid_client_metadata', error_description: description });
      expect(await written()).toEqual(before);
    });

    it('refuses a replayed request (its jti is single-use), even once the first registration is gone', async () => {
      const who = await applicant();
      const request = await requestOf(who);
      const first = await register(request);
      expect(first.status).toBe(201);
      expect((await fetch(String(first.body.registration_client_uri), { method: 'DELETE', headers: { authorization: `Bearer ${String(first.body.registration_access_token)}` } })).status).toBe(204);
      const before = await written();
      const replay = await register(request);
      expect(replay.status).toBe(400);
      expect(replay.body).toEqual({ error: 'invalid_client_metadata', error_description: 'the registration request has already been used (jti)' });
      expect(await written()).toEqual(before);
    });

    it('registers one statement once when two requests for it arrive together: the other is refused', async () => {
      const who = await applicant();
      const [one, other] = [await requestOf(who), await requestOf(who)];
      const responses = await Promise.all([register(one), register(other)]);
      expect(responses.map((r) => r.status).sort()).toEqual([201, 400]);
      expect(responses.find((r) => r.status === 400)!.body).toEqual({ error: 'invalid_software_statement', error_description: 'this software is already registered' });
      const rows = await fixture.db.dataSource.query(`SELECT client_id FROM tpp WHERE client_metadata->>'software_id' = $1`, [who.softwareId]);
      expect(rows).toEqual([{ client_id: responses.find((r) => r.status === 201)!.body.client_id }]);
      const events = await fixture.db.dataSource.query(`SELECT 1 FROM audit_outbox WHERE event->>'type' = 'tpp.registered' AND event->'data'->>'softwareId' = $1`, [who.softwareId]);
      expect(events).toHaveLength(1);
    });

    it('lets a client still sending a body far over the limit read its 413 (node fetch, no EPIPE)', async () => {
      // 8 MB against 32 KiB: the answer is ready long before the client has sent its body.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const response = await fetch(`${fixture.server.url}/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/jwt' },
          body: 'x'.repeat(8 * 1024 * 1024),
        });
        expect(response.status).toBe(413);
        expect(await response.json()).toEqual({ error: 'invalid_client_metadata', error_description: 'the request body must not exceed 32768 bytes' });
      }
    });

    it('refuses a body larger than 32 KiB', async () => {
      const who = await applicant();
      const response = await register(await requestOf(who, { client_name_padding: 'x'.repeat(40 * 1024) }));
      expect(response.status).toBe(413);
      expect(response.body).toEqual({ error: 'invalid_client_metadata', error_description: 'the request body must not exceed 32768 bytes' });
    });
  });

  describe('management (RFC 7592)', () => {
    const manage = (method: string, token: string | undefined, body?: string, uri = registered.registration_client_uri) =>
      fetch(uri, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/jwt' } : {}) },
        body,
      });
    const setStatus = (clientId: string, status: string) => fixture.db.dataSource.query(`UPDATE tpp SET status = $2 WHERE client_id = $1`, [clientId, status]);

    it('reads the registration with its access token', async () => {
      const response = await manage('GET', registered.registration_access_token);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ client_id: registered.client_id, client_name: 'Newcomer Payments', software_roles: ['PISP'], redirect_uris: [REDIRECT] });
    });

    it('refuses a request without a valid registration access token', async () => {
      const response = await manage('GET', 'not-the-token');
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'the registration access token is not valid for this client' });
    });

    it('keeps the management token of a suspended TPP: refused while suspended, served again once reinstated', async () => {
      const suspended = await registerSandboxTpp(sandbox(), { name: 'Suspended For A While', roles: ['AISP'], redirectUris: [REDIRECT] });
      const read = () => manage('GET', suspended.registration_access_token, undefined, suspended.registration_client_uri);
      await setStatus(suspended.client_id, 'Suspended');
      const refused = await read();
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: 'invalid_token', error_description: 'the client is suspended' });
      expect((await read()).status).toBe(401);
      await setStatus(suspended.client_id, 'Active');
      const served = await read();
      expect(served.status).toBe(200);
      expect(await served.json()).toMatchObject({ client_id: suspended.client_id, client_name: 'Suspended For A While' });
    });

    const freshStatement = () =>
      directory.sign({ softwareId: registered.software_id, clientName: 'Newcomer Pay', roles: ['PISP', 'CBPII'], redirectUris: [REDIRECT], jwks: { keys: registered.jwks.keys.map(publicJwkOf) } });

    it('refuses an update whose request is not signed by a key of the statement, and changes nothing', async () => {
      const statement = await freshStatement();
      const thief = await tppKey();
      const forged = await signRegistrationRequest(
        { ...thief.privateJwk, kid: registered.jwks.keys[0]!.kid! },
        { issuer: fixture.server.url, softwareId: registered.software_id, softwareStatement: statement, metadata: { client_id: registered.client_id } },
      );
      const before = await written();
      const response = await manage('PUT', registered.registration_access_token, forged);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid_client_metadata', error_description: 'the registration request is not signed by a key of the software statement' });
      expect(await written()).toEqual(before);
      const [row] = await fixture.db.dataSource.query(`SELECT name, roles FROM tpp WHERE client_id = $1`, [registered.client_id]);
      expect(row).toEqual({ name: 'Newcomer Payments', roles: ['PISP'] });
    });

    it('refuses an update sent as plain JSON', async () => {
      const response = await fetch(registered.registration_client_uri, {
        method: 'PUT',
        headers: { authorization: `Bearer ${registered.registration_access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: registered.client_id, software_statement: await freshStatement() }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid_client_metadata', error_description: 'the request body must be a signed JWT (Content-Type: application/jwt)' });
    });

    it('never lets an update bring back a statement issued before the one registered: a withdrawn role stays withdrawn', async () => {
      const tpp = await registerSandboxTpp(sandbox(), { name: 'Rotates Its Statement', roles: ['AISP', 'PISP'], redirectUris: [REDIRECT] });
      const statementOf = (roles: string[]) => directory.sign({ softwareId: tpp.software_id, clientName: 'Rotates Its Statement', roles, redirectUris: [REDIRECT], jwks: { keys: tpp.jwks.keys.map(publicJwkOf) } });
      const put = async (statement: string) =>
        manage(
          'PUT',
          tpp.registration_access_token,
          await signRegistrationRequest(tpp.jwks.keys[0]!, { issuer: fixture.server.url, softwareId: tpp.software_id, softwareStatement: statement, metadata: { client_id: tpp.client_id } }),
          tpp.registration_client_uri,
        );
      const older = await statementOf(['AISP', 'PISP']);
      // Statements are dated in whole seconds: the newer one is issued a second later.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await put(await statementOf(['AISP']))).status).toBe(200);
      // Until 7 December 2026 this put PISP back (and, the same way, a rotated-out key).
      const replayed = await put(older);
      expect(replayed.status).toBe(400);
      expect(await replayed.json()).toEqual({ error: 'invalid_software_statement', error_description: 'software_statement was issued before the one registered' });
      const [row] = await fixture.db.dataSource.query(`SELECT roles FROM tpp WHERE client_id = $1`, [tpp.client_id]);
      expect(row).toEqual({ roles: ['AISP'] });
    });

    it('updates the registration from a fresh statement of the same software', async () => {
      const request = await signRegistrationRequest(registered.jwks.keys[0]!, {
        issuer: fixture.server.url,
        softwareId: registered.software_id,
        softwareStatement: await freshStatement(),
        metadata: { client_id: registered.client_id, token_endpoint_auth_signing_alg: 'ES256' },
      });
      const response = await manage('PUT', registered.registration_access_token, request);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ client_name: 'Newcomer Pay', software_roles: ['PISP', 'CBPII'], scope: 'openid payments fundsconfirmations' });
      const [row] = await fixture.db.dataSource.query(`SELECT name, roles FROM tpp WHERE client_id = $1`, [registered.client_id]);
      expect(row).toEqual({ name: 'Newcomer Pay', roles: ['PISP', 'CBPII'] });
    });

    it('refuses an update that waited on an administrator’s suspension of the TPP, as suspended, changing and auditing nothing', async () => {
      const tpp = await registerSandboxTpp(sandbox(), { name: 'Suspended Mid-Update', roles: ['PISP'], redirectUris: [REDIRECT] });
      const statement = await directory.sign({ softwareId: tpp.software_id, clientName: 'Renamed', roles: ['PISP', 'CBPII'], redirectUris: [REDIRECT], jwks: { keys: tpp.jwks.keys.map(publicJwkOf) } });
      const request = await signRegistrationRequest(tpp.jwks.keys[0]!, {
        issuer: fixture.server.url,
        softwareId: tpp.software_id,
        softwareStatement: statement,
        metadata: { client_id: tpp.client_id, token_endpoint_auth_signing_alg: 'ES256' },
      });
      // The administrator's suspension holds the TPP's row (SuspendTpp's lockTppFor) while the update arrives.
      const suspension = fixture.db.dataSource.createQueryRunner();
      await suspension.connect();
      await suspension.startTransaction();
      try {
        await suspension.query(`SELECT status FROM tpp WHERE client_id = $1 FOR UPDATE`, [tpp.client_id]);
        const put = manage('PUT', tpp.registration_access_token, request, tpp.registration_client_uri);
        await expect
          .poll(async () => (await fixture.db.dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM tpp%'`))[0].n, { timeout: 10_000 })
          .toBe(1);
        await suspension.query(`UPDATE tpp SET status = 'Suspended' WHERE client_id = $1`, [tpp.client_id]);
        await suspension.commitTransaction();
        // Until 7 December 2026: 200 with the new name and roles, tpp.updated audited, and the row unchanged.
        const response = await put;
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'the client is suspended' });
      } finally {
        if (suspension.isTransactionActive) await suspension.rollbackTransaction();
        await suspension.release();
      }
      expect(await fixture.db.dataSource.query(`SELECT name, roles, status FROM tpp WHERE client_id = $1`, [tpp.client_id])).toEqual([{ name: 'Suspended Mid-Update', roles: ['PISP'], status: 'Suspended' }]);
      expect(await fixture.db.dataSource.query(`SELECT 1 FROM audit_outbox WHERE event->>'type' = 'tpp.updated' AND event->>'clientId' = $1`, [tpp.client_id])).toEqual([]);
    });

    it('issues no more accounts tokens, refresh included, once an update from a fresh statement takes the AISP role away', async () => {
      const tpp = await registerSandboxTpp(sandbox(), { name: 'Role Withdrawn', roles: ['AISP', 'PISP'], redirectUris: [REDIRECT] });
      const config = await tppConfiguration(fixture.server.url, tpp as never);
      const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
      const psu = fixture.credentials.psus[0]!;
      const pushed = await pushAuthorization(config, dpop, REDIRECT, await fixture.createConsent(tpp.client_id), 'openid accounts');
      const browser = new PsuBrowser(REDIRECT);
      const callback = new URL((await approve(browser, await signIn(browser, await browser.open(pushed.url), psu), [psu.accounts[0]!.accountId])).url);
      const tokens = await client.authorizationCodeGrant(
        config,
        new URL(`${REDIRECT}${callback.search}`),
        { pkceCodeVerifier: pushed.codeVerifier, expectedState: pushed.state, expectedNonce: pushed.nonce },
        undefined,
        { DPoP: dpop },
      );
      expect(tokens.refresh_token).toBeTruthy();

      const statement = await directory.sign({ softwareId: tpp.software_id, clientName: 'Role Withdrawn', roles: ['PISP'], redirectUris: [REDIRECT], jwks: { keys: tpp.jwks.keys.map(publicJwkOf) } });
      const request = await signRegistrationRequest(tpp.jwks.keys[0]!, {
        issuer: fixture.server.url,
        softwareId: tpp.software_id,
        softwareStatement: statement,
        metadata: { client_id: tpp.client_id, token_endpoint_auth_signing_alg: 'ES256' },
      });
      expect((await manage('PUT', tpp.registration_access_token, request, tpp.registration_client_uri)).status).toBe(200);
      await expect(client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP: dpop })).rejects.toMatchObject({ error: 'invalid_scope' });
      // Until 7 December 2026 the refresh still gave an accounts token: the grant's scope was never held against the roles.
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop })).rejects.toMatchObject({
        status: 400,
        error: 'invalid_scope',
        error_description: 'the client no longer holds the PSD2 role of the requested scope',
      });
      const issued: Array<{ n: number }> = await fixture.db.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_outbox WHERE event->>'type' = 'token.issued' AND event->>'clientId' = $1 AND event->'data'->>'grantType' = 'refresh_token'`,
        [tpp.client_id],
      );
      expect(issued).toEqual([{ n: 0 }]);
    });

    it('deletes the registration: the client and its token are gone', async () => {
      expect((await manage('DELETE', registered.registration_access_token)).status).toBe(204);
      expect(await fixture.db.dataSource.query(`SELECT 1 FROM tpp WHERE client_id = $1`, [registered.client_id])).toEqual([]);
      expect((await manage('GET', registered.registration_access_token)).status).toBe(401);
      const config = await tppConfiguration(fixture.server.url, registered as never);
      await expect(
        client.clientCredentialsGrant(config, { scope: 'payments' }, { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) }),
      ).rejects.toMatchObject({ status: 401, error: 'invalid_client' });
    });

    it('keeps a TPP holding consents as Deregistered (not Suspended), refused everything, and audits it', async () => {
      const holder = await registerSandboxTpp(sandbox(), { name: 'Consent Holder', roles: ['AISP'], redirectUris: [REDIRECT] });
      const consentId = await fixture.createConsent(holder.client_id);
      const response = await fetch(holder.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${holder.registration_access_token}` } });
      expect(response.status).toBe(204);
      const [row] = await fixture.db.dataSource.query(`SELECT status FROM tpp WHERE client_id = $1`, [holder.client_id]);
      expect(row).toEqual({ status: 'Deregistered' });
      expect(await fixture.db.dataSource.query(`SELECT 1 FROM account_access_consent WHERE consent_id = $1`, [consentId])).toHaveLength(1);
      const config = await tppConfiguration(fixture.server.url, holder as never);
      await expect(
        client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) }),
      ).rejects.toMatchObject({ status: 401, error: 'invalid_client' });
      const events: Array<{ event: Record<string, unknown> }> = await fixture.db.dataSource.query(
        `SELECT event FROM audit_outbox WHERE event->>'clientId' = $1 AND event->>'type' IN ('tpp.registered', 'tpp.deregistered', 'tpp.suspended', 'token.revoked') ORDER BY created_seq`,
        [holder.client_id],
      );
      expect(events.map((e) => [e.event.type, (e.event.data as { action?: string; trigger?: string }).action ?? (e.event.data as { trigger?: string }).trigger])).toEqual([
        ['tpp.registered', 'registered'],
        ['tpp.deregistered', 'deregistered'],
        ['token.revoked', 'deregistered'],
      ]);
      expect(events[2]!.event.data).toEqual({ trigger: 'deregistered', revokedCount: expect.any(Number) });
      expect(JSON.stringify(events)).not.toContain(holder.registration_access_token);
    });

    it('lets a Deregistered software register again: only live registrations hold a software_id', async () => {
      const holder = await registerSandboxTpp(sandbox(), { name: 'Comes Back', roles: ['AISP'], redirectUris: [REDIRECT] });
      await fixture.createConsent(holder.client_id);
      expect((await manage('DELETE', holder.registration_access_token, undefined, holder.registration_client_uri)).status).toBe(204);
      const again = await registerSandboxTpp(sandbox(), { name: 'Comes Back', roles: ['AISP'], redirectUris: [REDIRECT], softwareId: holder.software_id });
      const rows = await fixture.db.dataSource.query(`SELECT client_id, status FROM tpp WHERE client_metadata->>'software_id' = $1 ORDER BY status`, [holder.software_id]);
      expect(rows).toEqual([{ client_id: again.client_id, status: 'Active' }, { client_id: holder.client_id, status: 'Deregistered' }]);
    });
  });

  it('answers what no route serves under /register in the RFC 7591 error shape, naming the methods served and echoing nothing', async () => {
    const base = `${fixture.server.url}/register`;
    const cases: Array<[method: string, url: string, status: number, allow: string | null]> = [
      ['PATCH', `${base}/${registered.client_id}`, 405, 'GET, PUT, DELETE'],
      ['POST', `${base}/${registered.client_id}`, 405, 'GET, PUT, DELETE'],
      ['GET', base, 405, 'POST'],
      ['DELETE', base, 405, 'POST'],
      ['GET', `${base}/${registered.client_id}/secret-thing`, 404, null],
      ['GET', `${base}/%zz<script>`, 400, null],
    ];
    for (const [method, url, status, allow] of cases) {
      const response = await fetch(url, { method, headers: { authorization: `Bearer ${registered.registration_access_token}` } });
      const what = `${method} ${url}`;
      expect(response.status, what).toBe(status);
      expect(response.headers.get('allow'), what).toBe(allow);
      expect(response.headers.get('content-type'), what).toMatch(/^application\/json/);
      expect(response.headers.get('cache-control'), what).toBe('no-store');
      const text = await response.text();
      expect(JSON.parse(text), what).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
      for (const echo of ['/register', registered.client_id, 'secret-thing', '<script>', '%zz']) expect(text, what).not.toContain(echo);
    }
  });

  it('has no sandbox directory in production mode', async () => {
    await expect(SandboxDirectory.open({ mode: 'production', dataDir: fixture.dataDir })).rejects.toThrow('the sandbox directory exists in sandbox mode only');
  });
});
