import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CreateAccountAccessConsent, RevokeAccountAccessConsent } from '@consentry/consents';
import { SANDBOX_TPP, SandboxPsuCredentials } from '@consentry/sandbox';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as client from 'openid-client';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { PsuBrowser } from '../support/psu-browser.js';
import { approve, signIn } from '../support/psu-journey.js';
import { intentClaims, pushAuthorization, PushedAuthorization, tppConfiguration } from '../support/tpp-client.js';

type Tokens = Awaited<ReturnType<typeof client.authorizationCodeGrant>>;

describe('authorization codes, refresh tokens, introspection and revocation', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;
  let api: client.Configuration;
  let keyDir: string;
  const psu = (name: string): SandboxPsuCredentials => fixture.credentials.psus.find((p) => p.username === name)!;

  beforeAll(async () => {
    // The API as an introspection client: its public key configured, its private key kept by the test.
    keyDir = await mkdtemp(join(tmpdir(), 'consentry-api-client-'));
    const { privateKey, publicKey } = await generateKeyPair('PS256');
    await writeFile(join(keyDir, 'api-client.jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'api-1', alg: 'PS256', use: 'sig' }] }));
    fixture = await startAuthServerFixture('codes_tokens', { API_CLIENT_JWKS_FILE: join(keyDir, 'api-client.jwks.json') });
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
    api = await client.discovery(new URL(fixture.server.url), 'consentry-api', { token_endpoint_auth_signing_alg: 'PS256' }, client.PrivateKeyJwt({ key: privateKey, kid: 'api-1' }), {
      execute: [client.allowInsecureRequests],
    });
  });
  afterAll(async () => {
    await fixture?.stop();
    await rm(keyDir, { recursive: true, force: true });
  });

  async function revokedEvents(consentId: string): Promise<Array<Record<string, unknown>>> {
    const rows: Array<{ event: Record<string, unknown> }> = await fixture.db.dataSource.query(
      `SELECT event FROM audit_outbox WHERE event->>'type' = 'token.revoked' AND event->>'consentId' = $1 ORDER BY event->>'occurredAt'`,
      [consentId],
    );
    return rows.map((row) => row.event);
  }

  async function consentExpiringIn(seconds: number): Promise<string> {
    const consent = await new CreateAccountAccessConsent(fixture.db.dataSource).execute({
      clientId: SANDBOX_TPP.clientId,
      permissions: ['ReadAccountsDetail', 'ReadBalances'],
      expirationDateTime: new Date(Date.now() + seconds * 1000),
    });
    return consent.consentId;
  }

  /** Runs the PSU's journey to approval; returns the TPP's callback URL and what it pushed. */
  async function authorise(who: SandboxPsuCredentials, consentId: string, dpopKeys: client.CryptoKeyPair): Promise<{ callback: URL; pushed: PushedAuthorization }> {
    const pushed = await pushAuthorization(config, client.getDPoPHandle(config, dpopKeys), SANDBOX_TPP.redirectUri, consentId);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const consentPage = await signIn(browser, await browser.open(pushed.url), who);
    const done = await approve(browser, consentPage, [who.accounts[0]!.accountId]);
    return { callback: new URL(done.url), pushed };
  }

  function exchange(callback: URL, pushed: PushedAuthorization, dpopKeys: client.CryptoKeyPair, redirectUri = SANDBOX_TPP.redirectUri): Promise<Tokens> {
    // openid-client sends the callback URL without its query as redirect_uri.
    const url = new URL(`${redirectUri}${callback.search}`);
    return client.authorizationCodeGrant(
      config,
      url,
      { pkceCodeVerifier: pushed.codeVerifier, expectedState: pushed.state, expectedNonce: pushed.nonce },
      undefined,
      { DPoP: client.getDPoPHandle(config, dpopKeys) },
    );
  }

  describe('refusals at PAR', () => {
    it('refuses plain PKCE', async () => {
      const verifier = client.randomPKCECodeVerifier();
      await expect(
        client.buildAuthorizationUrlWithPAR(
          config,
          { redirect_uri: SANDBOX_TPP.redirectUri, scope: 'openid accounts', state: 's', code_challenge: verifier, code_challenge_method: 'plain', claims: intentClaims(await consentExpiringIn(3600)) },
          { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) },
        ),
      ).rejects.toMatchObject({ status: 400, error: 'invalid_request', error_description: 'not supported value of code_challenge_method' });
    });

    it('refuses a redirect_uri the TPP did not register', async () => {
      await expect(
        client.buildAuthorizationUrlWithPAR(
          config,
          {
            redirect_uri: 'https://attacker.example/callback',
            scope: 'openid accounts',
            state: 's',
            code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
            code_challenge_method: 'S256',
            claims: intentClaims(await consentExpiringIn(3600)),
          },
          { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) },
        ),
      ).rejects.toMatchObject({ status: 400, error: 'invalid_request', error_description: "redirect_uri did not match any of the client's registered redirect_uris" });
    });

    it.each(['form_post', 'fragment'])('refuses response_mode=%s: responses go in the query only', async (mode) => {
      await expect(
        client.buildAuthorizationUrlWithPAR(
          config,
          {
            redirect_uri: SANDBOX_TPP.redirectUri,
            response_mode: mode,
            scope: 'openid accounts',
            state: 's',
            code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
            code_challenge_method: 'S256',
            claims: intentClaims(await consentExpiringIn(3600)),
          },
          { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) },
        ),
      ).rejects.toMatchObject({ status: 400, error: 'invalid_request', error_description: 'requested response_mode is not allowed for this client or request' });
    });
  });

  describe('a code replayed after its exchange', () => {
    let first: Tokens;
    let consentId: string;

    beforeAll(async () => {
      consentId = await consentExpiringIn(3600);
      const keys = await client.randomDPoPKeyPair('ES256');
      const { callback, pushed } = await authorise(psu('alice'), consentId, keys);
      // FAPI 2.0 5.3.2.2: the code lives at most 60 s.
      const [row] = await fixture.db.dataSource.query(`SELECT extract(epoch FROM expires_at - now()) AS ttl FROM oidc_model WHERE model = 'AuthorizationCode'`);
      expect(Number(row.ttl)).toBeLessThanOrEqual(60);
      expect(Number(row.ttl)).toBeGreaterThan(30);
      // A wrong redirect_uri is refused without using the code up.
      await expect(exchange(callback, pushed, keys, 'https://sandbox-tpp.localhost/other')).rejects.toMatchObject({
        status: 400,
        error: 'invalid_grant',
        error_description: 'grant request is invalid',
      });
      first = await exchange(callback, pushed, keys);
      await expect(exchange(callback, pushed, keys)).rejects.toMatchObject({ status: 400, error: 'invalid_grant', error_description: 'grant request is invalid' });
    });

    it('revokes the refresh token it issued (RFC 6749 4.1.2)', async () => {
      await expect(client.refreshTokenGrant(config, first.refresh_token!, undefined, { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) })).rejects.toMatchObject({
        status: 400,
        error: 'invalid_grant',
      });
      const [consent] = await fixture.db.dataSource.query(`SELECT grant_id FROM account_access_consent WHERE consent_id = $1`, [consentId]);
      const rows = await fixture.db.dataSource.query(`SELECT model FROM oidc_model WHERE grant_id = $1 OR (model = 'Grant' AND id = $1)`, [consent.grant_id]);
      expect(rows).toEqual([]);
    });

    it('makes the access token it issued inactive at introspection', async () => {
      expect(await client.tokenIntrospection(api, first.access_token)).toEqual({ active: false });
    });

    it('audits the revocation as token.revoked for the consent, with no token value', async () => {
      const events = await revokedEvents(consentId);
      expect(events).toEqual([
        expect.objectContaining({
          type: 'token.revoked',
          actor: { type: 'tpp', id: SANDBOX_TPP.clientId },
          clientId: SANDBOX_TPP.clientId,
          consentId,
          psuId: expect.any(String),
          data: { trigger: 'authorization_code_replayed', grantRevoked: true },
        }),
      ]);
      for (const value of [first.access_token, first.refresh_token!]) expect(JSON.stringify(events)).not.toContain(value);
    });
  });

  describe('refresh tokens of a consent expiring in two hours', () => {
    let tokens: Tokens;
    let keys: client.CryptoKeyPair;
    let consentId: string;
    const lifetime = 2 * 3600;

    beforeAll(async () => {
      consentId = await consentExpiringIn(lifetime);
      keys = await client.randomDPoPKeyPair('ES256');
      const { callback, pushed } = await authorise(psu('bob'), consentId, keys);
      tokens = await exchange(callback, pushed, keys);
    });

    it('caps the grant and the refresh token at the consent ExpirationDateTime', async () => {
      const [consent] = await fixture.db.dataSource.query(`SELECT grant_id, expiration_date_time FROM account_access_consent WHERE consent_id = $1`, [consentId]);
      const rows: Array<{ model: string; expires_at: Date }> = await fixture.db.dataSource.query(
        `SELECT model, expires_at FROM oidc_model WHERE (model = 'Grant' AND id = $1) OR (model = 'RefreshToken' AND grant_id = $1) ORDER BY model`,
        [consent.grant_id],
      );
      expect(rows.map((r) => r.model)).toEqual(['Grant', 'RefreshToken']);
      for (const row of rows) expect(Math.abs(row.expires_at.getTime() - (consent.expiration_date_time as Date).getTime())).toBeLessThan(5_000);
      expect(tokens.expires_in).toBe(300);
    });

    it('serves concurrent refreshes of one token, each with an access token, and keeps the refresh token valid', async () => {
      const results = await Promise.all(Array.from({ length: 4 }, () => client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: client.getDPoPHandle(config, keys) })));
      expect(new Set(results.map((r) => r.access_token)).size).toBe(4);
      for (const result of results) {
        expect(decodeJwt(result.access_token).openbanking_intent_id).toBe(consentId);
        // FAPI 2.0 5.3.2.1: not rotated; the same client-bound refresh token comes back.
        expect(result.refresh_token).toBe(tokens.refresh_token);
      }
      const again = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: client.getDPoPHandle(config, keys) });
      expect(again.token_type).toBe('dpop');
    });

    it('lets the TPP introspect its own refresh token and JWT access token', async () => {
      expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toMatchObject({ active: true, client_id: SANDBOX_TPP.clientId, scope: 'openid accounts' });
      const access = await client.tokenIntrospection(config, tokens.access_token);
      expect(access).toMatchObject({ active: true, client_id: SANDBOX_TPP.clientId, token_type: 'DPoP', openbanking_intent_id: consentId, aud: 'http://localhost:3000' });
      expect((access.cnf as { jkt: string }).jkt).toEqual(expect.any(String));
    });

    it('lets the API (resource server client) introspect the TPP’s access token', async () => {
      expect(await client.tokenIntrospection(api, tokens.access_token)).toMatchObject({ active: true, client_id: SANDBOX_TPP.clientId, openbanking_intent_id: consentId });
    });

    it('gives a suspended TPP nothing: its tokens are inactive and it cannot authenticate', async () => {
      await fixture.db.dataSource.query(`UPDATE tpp SET status = 'Suspended' WHERE client_id = $1`, [SANDBOX_TPP.clientId]);
      try {
        expect(await client.tokenIntrospection(api, tokens.access_token)).toEqual({ active: false });
        expect(await client.tokenIntrospection(api, tokens.refresh_token!)).toEqual({ active: false });
        await expect(client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: client.getDPoPHandle(config, keys) })).rejects.toMatchObject({
          status: 401,
          error: 'invalid_client',
        });
      } finally {
        await fixture.db.dataSource.query(`UPDATE tpp SET status = 'Active' WHERE client_id = $1`, [SANDBOX_TPP.clientId]);
      }
      expect(await client.tokenIntrospection(api, tokens.access_token)).toMatchObject({ active: true });
    });

    it('revokes the refresh token at the TPP’s request (RFC 7009), after which it refreshes nothing', async () => {
      await client.tokenRevocation(config, tokens.refresh_token!);
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: client.getDPoPHandle(config, keys) })).rejects.toMatchObject({
        status: 400,
        error: 'invalid_grant',
      });
      expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false });
      const events = await revokedEvents(consentId);
      expect(events).toEqual([
        expect.objectContaining({
          type: 'token.revoked',
          actor: { type: 'tpp', id: SANDBOX_TPP.clientId },
          consentId,
          data: { trigger: 'revocation_endpoint', kind: 'RefreshToken', grantRevoked: true },
        }),
      ]);
      expect(JSON.stringify(events)).not.toContain(tokens.refresh_token!);
    });
  });

  it('makes access tokens inactive once their consent is revoked', async () => {
    const consentId = await consentExpiringIn(3600);
    const keys = await client.randomDPoPKeyPair('ES256');
    const { callback, pushed } = await authorise(psu('carol'), consentId, keys);
    const tokens = await exchange(callback, pushed, keys);
    expect(await client.tokenIntrospection(api, tokens.access_token)).toMatchObject({ active: true });
    await new RevokeAccountAccessConsent(fixture.db.dataSource).execute({ consentId, by: { type: 'tpp', clientId: SANDBOX_TPP.clientId } });
    expect(await client.tokenIntrospection(api, tokens.access_token)).toEqual({ active: false });
    expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false });
  });
});
