import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSandboxTppKeys, registerTpp, SANDBOX_TPP, SandboxTppCredentials } from '@consentry/sandbox';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { assertionParams, dpopNonce, dpopProof, newDPoPKey, postForm } from '../support/raw-oauth.js';
import { intentClaims, tppConfiguration } from '../support/tpp-client.js';

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };

describe('token endpoint: FAPI 2.0 refusals', () => {
  let fixture: AuthServerFixture;
  let issuer: string;
  let tokenUrl: string;
  // The sandbox TPP holds every role: the scope refusals need a TPP that is an AISP only.
  let aispOnly: SandboxTppCredentials;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('token_refusals');
    issuer = fixture.server.url;
    tokenUrl = `${issuer}/token`;
    aispOnly = await createSandboxTppKeys('aisp-only-tpp', 'AISP Only', SANDBOX_TPP.redirectUri, ['AISP']);
    await fixture.db.dataSource.transaction((manager) => registerTpp(manager, aispOnly));
  });
  afterAll(async () => fixture?.stop());

  /** A client-credentials request with a valid DPoP proof (server nonce included). */
  async function clientCredentials(auth: Record<string, string>, extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
    const key = await newDPoPKey();
    const nonce = await dpopNonce(issuer, fixture.credentials.tpp);
    return postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'accounts', ...auth, ...extra }, { dpop: await dpopProof(key, 'POST', tokenUrl, nonce), ...headers });
  }

  it('issues a token to a correct private_key_jwt + DPoP request (the baseline the refusals differ from)', async () => {
    const response = await clientCredentials(await assertionParams(fixture.credentials.tpp, issuer));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'DPoP', scope: 'accounts', expires_in: 300 });
  });

  it('refuses client_secret_post', async () => {
    const response = await clientCredentials({ client_id: SANDBOX_TPP.clientId, client_secret: 'a-shared-secret' });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(INVALID_CLIENT);
  });

  it('refuses client_secret_basic', async () => {
    const basic = Buffer.from(`${SANDBOX_TPP.clientId}:a-shared-secret`).toString('base64');
    const response = await clientCredentials({}, {}, { authorization: `Basic ${basic}` });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(INVALID_CLIENT);
  });

  it('refuses a client without authentication (none)', async () => {
    const response = await clientCredentials({ client_id: SANDBOX_TPP.clientId });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(INVALID_CLIENT);
  });

  it('refuses an HS256 client assertion', async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(SANDBOX_TPP.clientId)
      .setSubject(SANDBOX_TPP.clientId)
      .setAudience(issuer)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!'));
    const response = await clientCredentials({
      client_id: SANDBOX_TPP.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(INVALID_CLIENT);
  });

  it('refuses an RS256 client assertion, even from a client whose key is RSA', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'rsa-1', use: 'sig' };
    await fixture.db.dataSource.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('rsa-tpp', 'RSA App', '{AISP}', $1)`, [
      JSON.stringify({
        client_id: 'rsa-tpp',
        redirect_uris: ['https://rsa-tpp.localhost/cb'],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [jwk] },
      }),
    ]);
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setIssuer('rsa-tpp')
      .setSubject('rsa-tpp')
      .setAudience(issuer)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    const response = await clientCredentials({
      client_id: 'rsa-tpp',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(INVALID_CLIENT);
  });

  it('refuses an expired client assertion', async () => {
    const issuedAt = Math.floor(Date.now() / 1000) - 600;
    const response = await clientCredentials(await assertionParams(fixture.credentials.tpp, issuer, { issuedAt, expiresIn: 300 }));
    expect(response.status).toBe(401);
    expect(response.body).toEqual(INVALID_CLIENT);
  });

  it('refuses a client assertion that expires more than 5 minutes ahead, at every endpoint that authenticates clients', async () => {
    const longLived = () => assertionParams(fixture.credentials.tpp, issuer, { expiresIn: 3600 });
    const refused = { error: 'invalid_client', error_description: 'the client_assertion expires too far ahead: its exp must be at most 300 seconds from now' };
    const answers = [
      await clientCredentials(await longLived()),
      await postForm(`${issuer}/request`, { response_type: 'code', ...(await longLived()) }),
      await postForm(`${issuer}/token/introspection`, { token: 'not-a-token', ...(await longLived()) }),
      await postForm(`${issuer}/token/revocation`, { token: 'not-a-token', ...(await longLived()) }),
    ];
    expect(answers.map((a) => ({ status: a.status, body: a.body }))).toEqual(Array(4).fill({ status: 401, body: refused }));
  });

  it('accepts a client assertion that expires 60 s ahead at every endpoint that authenticates clients', async () => {
    const shortLived = () => assertionParams(fixture.credentials.tpp, issuer, { expiresIn: 60 });
    const token = await clientCredentials(await shortLived());
    expect(token.status).toBe(200);
    // Past client authentication, each endpoint answers on the request itself.
    const par = await postForm(`${issuer}/request`, { response_type: 'code', ...(await shortLived()) });
    expect({ status: par.status, body: par.body }).toEqual({ status: 400, body: { error: 'invalid_request', error_description: "missing required parameter 'redirect_uri'" } });
    expect((await postForm(`${issuer}/token/introspection`, { token: 'not-a-token', ...(await shortLived()) })).body).toEqual({ active: false });
    expect((await postForm(`${issuer}/token/revocation`, { token: 'not-a-token', ...(await shortLived()) })).status).toBe(200);
  });

  it('refuses a replayed client assertion (its jti is single-use)', async () => {
    const params = await assertionParams(fixture.credentials.tpp, issuer);
    expect((await clientCredentials(params)).status).toBe(200);
    const replay = await clientCredentials(params);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual(INVALID_CLIENT);
  });

  it('refuses a token request without a DPoP proof', async () => {
    const response = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(fixture.credentials.tpp, issuer)) });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
  });

  it('asks for a server nonce when the DPoP proof has none', async () => {
    const key = await newDPoPKey();
    const response = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(fixture.credentials.tpp, issuer)) },
      { dpop: await dpopProof(key, 'POST', tokenUrl) },
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'use_dpop_nonce', error_description: 'nonce is required in the DPoP proof' });
    expect(response.headers.get('dpop-nonce')).toEqual(expect.any(String));
  });

  it('refuses a DPoP proof made for another URL', async () => {
    const key = await newDPoPKey();
    const nonce = await dpopNonce(issuer, fixture.credentials.tpp);
    const response = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(fixture.credentials.tpp, issuer)) },
      { dpop: await dpopProof(key, 'POST', `${issuer}/request`, nonce) },
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'DPoP proof htu mismatch' });
  });

  it('refuses a DPoP proof replayed at the token endpoint', async () => {
    const key = await newDPoPKey();
    const nonce = await dpopNonce(issuer, fixture.credentials.tpp);
    const proof = await dpopProof(key, 'POST', tokenUrl, nonce);
    const first = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(fixture.credentials.tpp, issuer)) }, { dpop: proof });
    expect(first.status).toBe(200);
    const replay = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(fixture.credentials.tpp, issuer)) }, { dpop: proof });
    // The replay check runs as part of the grant: oidc-provider answers invalid_grant with its generic
    // description (the detail, "DPoP proof JWT Replay detected", stays server-side).
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
  });

  it('answers an id PostgreSQL cannot hold (U+0000) as one it does not know, never a 500', async () => {
    // Until 7 December 2026 each of these was `500 server_error` with a stack trace in the log.
    const nulClient = { client_id: 'a\u0000b', jwks: fixture.credentials.tpp.jwks };
    for (const endpoint of ['/token', '/request', '/token/introspection', '/token/revocation']) {
      const key = await newDPoPKey();
      const form = { ...(await assertionParams(nulClient, issuer)), ...(endpoint === '/token' ? { grant_type: 'client_credentials' } : { token: 'abc' }) };
      const response = await postForm(`${issuer}${endpoint}`, form, { dpop: await dpopProof(key, 'POST', `${issuer}${endpoint}`) });
      expect({ endpoint, status: response.status, body: response.body }).toEqual({ endpoint, status: 401, body: INVALID_CLIENT });
    }
    // The sandbox TPP, authenticated, naming a code, a refresh token or a token with U+0000 in it.
    const key = await newDPoPKey();
    const nonce = await dpopNonce(issuer, fixture.credentials.tpp);
    const grants: Array<Record<string, string>> = [
      { grant_type: 'authorization_code', code: 'a\u0000b', redirect_uri: SANDBOX_TPP.redirectUri, code_verifier: 'v'.repeat(43) },
      { grant_type: 'refresh_token', refresh_token: 'a\u0000b' },
    ];
    for (const grant of grants) {
      const response = await postForm(tokenUrl, { ...grant, ...(await assertionParams(fixture.credentials.tpp, issuer)) }, { dpop: await dpopProof(key, 'POST', tokenUrl, nonce) });
      expect({ grant: grant.grant_type, status: response.status, error: response.body.error }).toEqual({ grant: grant.grant_type, status: 400, error: 'invalid_grant' });
    }
    const introspected = await postForm(`${issuer}/token/introspection`, { token: 'a\u0000b', ...(await assertionParams(fixture.credentials.tpp, issuer)) });
    expect({ status: introspected.status, body: introspected.body }).toEqual({ status: 200, body: { active: false } });
    const authorize = await fetch(`${issuer}/auth?client_id=${encodeURIComponent(SANDBOX_TPP.clientId)}&request_uri=urn:ietf:params:oauth:request_uri:a%00b`, { redirect: 'manual' });
    expect(authorize.status).toBeLessThan(500);
  });

  it('refuses `payments` to an AISP-only TPP at the token endpoint', async () => {
    const response = await clientCredentials(await assertionParams(aispOnly, issuer), { scope: 'payments' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_scope', error_description: 'requested scope is not allowed', scope: 'payments' });
  });

  it('refuses `payments` to an AISP-only TPP at the PAR endpoint', async () => {
    const config = await tppConfiguration(issuer, aispOnly);
    const consentId = await fixture.createConsent(aispOnly.client_id);
    await expect(
      client.buildAuthorizationUrlWithPAR(
        config,
        {
          redirect_uri: SANDBOX_TPP.redirectUri,
          scope: 'openid payments',
          state: 'st',
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
          claims: intentClaims(consentId),
        },
        { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) },
      ),
    ).rejects.toMatchObject({ status: 400, error: 'invalid_scope', error_description: 'requested scope is not allowed' });
  });
});
