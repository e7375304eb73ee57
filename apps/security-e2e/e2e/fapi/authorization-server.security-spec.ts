import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSandboxTppKeys, registerTpp, SandboxTppCredentials } from '@consentry/sandbox';
import { importJWK, JWK, SignJWT } from 'jose';
import * as oidc from 'openid-client';

import { authorizeAsPsu, freshTotpCode, TppClient } from '../../../../scripts/journey.js';
import {
  ALL_READ_PERMISSIONS,
  attackerKey,
  AttackerKey,
  AttackPlatform,
  authorisedConsent,
  clientCredentials,
  dpopProof,
  expectNothingWritten,
  HttpResult,
  send,
  secretsInLogs,
  startAttackPlatform,
} from '../support/attack-platform.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };
const INVALID_GRANT = { error: 'invalid_grant', error_description: 'grant request is invalid' };

type PushedRequest = Awaited<ReturnType<TppClient['pushAuthorizationRequest']>>;

/**
 * FAPI 2.0 attacker model at the authorization server: A1 (a web attacker, here also a TPP with its own
 * registration), A2 (an attacker who controls a redirect), A3a/A3b (who reads the authorization request
 * or response, code included). PAR, PKCE (S256), registered redirect URIs, query responses only,
 * private_key_jwt with single-use assertions, DPoP with server nonces, and codes and refresh tokens that
 * only their own client can use.
 */
describe('FAPI 2.0 attacker model: the authorization server (A1, A2, A3a, A3b)', () => {
  let platform: AttackPlatform;
  let issuer: string;
  let tokenUrl: string;
  let parUrl: string;
  let authorizationUrl: string;
  let tppA: SandboxTppCredentials;
  let tppB: SandboxTppCredentials;

  beforeAll(async () => {
    platform = await startAttackPlatform('fapi_as');
    issuer = platform.env.AUTH_SERVER_URL!;
    const metadata = platform.tpp.config.serverMetadata();
    tokenUrl = metadata.token_endpoint!;
    parUrl = metadata.pushed_authorization_request_endpoint!;
    authorizationUrl = metadata.authorization_endpoint!;
    tppA = platform.sandbox.tpp;
    tppB = platform.tppBCredentials;
  });

  afterAll(async () => platform?.stop());

  /** A private_key_jwt client assertion (RFC 7523) of `signer`'s key, claiming to be `clientId`. */
  async function assertion(signer: SandboxTppCredentials, options: { clientId?: string; audience?: string; jti?: string } = {}): Promise<string> {
    const jwk = signer.jwks.keys[0] as JWK;
    const alg = typeof jwk.alg === 'string' ? jwk.alg : 'ES256';
    const clientId = options.clientId ?? signer.client_id;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg, kid: jwk.kid! })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(options.audience ?? issuer)
      .setJti(options.jti ?? randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(await importJWK(jwk, alg));
  }

  async function clientAuth(signer: SandboxTppCredentials, options?: Parameters<typeof assertion>[1]): Promise<Record<string, string>> {
    return { client_id: options?.clientId ?? signer.client_id, client_assertion_type: JWT_BEARER, client_assertion: await assertion(signer, options) };
  }

  function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> {
    return send(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
  }

  /** The server's current DPoP nonce (RFC 9449 section 8): its answer to a proof without one. */
  async function dpopNonce(): Promise<string> {
    const result = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials', scope: 'accounts', ...(await clientAuth(tppA)) },
      { dpop: await dpopProof(await attackerKey(), { htm: 'POST', htu: tokenUrl }) },
    );
    const nonce = result.headers.get('dpop-nonce');
    expect(result.status).toBe(400);
    expect(nonce).toEqual(expect.any(String));
    return nonce!;
  }

  /** A token request with a DPoP proof of `key` carrying the server's nonce. */
  async function tokenRequest(form: Record<string, string>, key: AttackerKey, headers: Record<string, string> = {}): Promise<HttpResult> {
    const proof = await dpopProof(key, { htm: 'POST', htu: tokenUrl, extraClaims: { nonce: await dpopNonce() } });
    return postForm(tokenUrl, form, { dpop: proof, ...headers });
  }

  async function newConsent(): Promise<string> {
    const token = await clientCredentials(platform, platform.tpp);
    const created = await platform.tpp.createConsent(token, ALL_READ_PERMISSIONS, new Date(Date.now() + 86_400_000).toISOString());
    expect(created.status).toBe(201);
    return created.body.Data.ConsentId as string;
  }

  /** PAR parameters of a correct request for `consentId`, with any of them overridden. */
  async function parParams(consentId: string, overrides: Record<string, string | undefined> = {}): Promise<Record<string, string>> {
    const intent = { openbanking_intent_id: { value: consentId, essential: true } };
    const params: Record<string, string | undefined> = {
      redirect_uri: tppA.redirect_uris[0],
      scope: 'openid accounts',
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      claims: JSON.stringify({ id_token: intent, userinfo: intent }),
      ...overrides,
    };
    return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
  }

  /** A pushed authorization request sent by hand (client authentication of TPP A). */
  async function pushByHand(params: Record<string, string>): Promise<HttpResult> {
    return postForm(parUrl, { ...params, ...(await clientAuth(tppA)) });
  }

  /** The PSU's journey up to the code: the redirect back to TPP A, and what A pushed. */
  async function codeForNewConsent(psuIndex: number): Promise<{ redirect: URL; request: PushedRequest }> {
    const psu = platform.sandbox.psus[psuIndex]!;
    const request = await platform.tpp.pushAuthorizationRequest(await newConsent());
    const outcome = await authorizeAsPsu({ authorizationUrl: request.url, issuer, psu, otp: () => freshTotpCode(psu.totpSecret), accountIds: [psu.accounts[0]!.accountId] });
    expect(outcome.redirect?.searchParams.get('code')).toEqual(expect.any(String));
    return { redirect: outcome.redirect!, request };
  }

  describe('the authorization request', () => {
    it('refuses a plain authorization request: PAR is the only way in (A3a)', async () => {
      const params = await parParams(await newConsent());
      const url = `${authorizationUrl}?${new URLSearchParams({ client_id: tppA.client_id, ...params }).toString()}`;
      const result = await expectNothingWritten(platform, () => send(url));
      expect(result.status).toBe(303);
      const location = new URL(result.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(tppA.redirect_uris[0]);
      expect(Object.fromEntries(location.searchParams)).toEqual({
        error: 'invalid_request',
        error_description: 'Pushed Authorization Request must be used',
        state: params.state,
        iss: issuer,
      });
    });

    it('refuses a pushed request without PKCE, or with the plain method (A3b)', async () => {
      const consentId = await newConsent();
      const withoutPkce = await expectNothingWritten(platform, async () => pushByHand(await parParams(consentId, { code_challenge: undefined, code_challenge_method: undefined })));
      expect(withoutPkce.status).toBe(400);
      expect(withoutPkce.body).toEqual({ error: 'invalid_request', error_description: 'Authorization Server policy requires PKCE to be used for this request' });
      const verifier = oidc.randomPKCECodeVerifier();
      const plain = await expectNothingWritten(platform, async () => pushByHand(await parParams(consentId, { code_challenge: verifier, code_challenge_method: 'plain' })));
      expect(plain.status).toBe(400);
      expect(plain.body).toEqual({ error: 'invalid_request', error_description: 'not supported value of code_challenge_method' });
    });

    it('refuses a redirect_uri the TPP did not register (A2)', async () => {
      const consentId = await newConsent();
      await expectNothingWritten(platform, async () => {
        for (const redirectUri of ['https://attacker.example/callback', `${tppA.redirect_uris[0]}/../evil`, `${tppA.redirect_uris[0]}?next=https://attacker.example`, tppB.redirect_uris[0]!]) {
          const result = await pushByHand(await parParams(consentId, { redirect_uri: redirectUri }));
          expect(result.status).toBe(400);
          expect(result.body).toEqual({ error: 'invalid_request', error_description: "redirect_uri did not match any of the client's registered redirect_uris" });
        }
      });
    });

    it('refuses response_mode fragment and form_post: responses go in the query only (A3b)', async () => {
      const consentId = await newConsent();
      await expectNothingWritten(platform, async () => {
        for (const mode of ['fragment', 'form_post']) {
          const result = await pushByHand(await parParams(consentId, { response_mode: mode }));
          expect(result.status).toBe(400);
          expect(result.body).toEqual({ error: 'invalid_request', error_description: 'requested response_mode is not allowed for this client or request' });
        }
      });
    });

    it('refuses a request_uri used again after its authorization completed (A3a)', async () => {
      const psu = platform.sandbox.psus[2]!;
      const request = await platform.tpp.pushAuthorizationRequest(await newConsent());
      const done = await authorizeAsPsu({ authorizationUrl: request.url, issuer, psu, otp: () => freshTotpCode(psu.totpSecret), accountIds: [psu.accounts[0]!.accountId] });
      expect(done.redirect?.searchParams.get('code')).toEqual(expect.any(String));
      const replay = await expectNothingWritten(platform, () => send(request.url.toString()));
      expect(replay.status).toBe(400);
      expect(replay.text).toContain('<p>request_uri is invalid, expired, or was already used</p>');
      expect(replay.text).toContain('Error: invalid_request_uri');
    });

    it("refuses TPP A's request_uri presented under TPP B's client_id (A3a)", async () => {
      const request = await platform.tpp.pushAuthorizationRequest(await newConsent());
      const url = new URL(request.url);
      url.searchParams.set('client_id', tppB.client_id);
      const result = await expectNothingWritten(platform, () => send(url.toString()));
      expect(result.status).toBe(400);
      expect(result.text).toContain('<p>request client_id must equal the one in request parameters</p>');
      expect(result.text).toContain('Error: invalid_request_object');
    });

    it('refuses a scope beyond the TPP’s roles (payments for an AISP-only TPP) (A1)', async () => {
      // The sandbox TPPs hold every role: this one is registered for account information only.
      const aispOnly = await createSandboxTppKeys('attack-aisp-only', 'AISP-only App');
      await platform.db.dataSource.transaction((manager) => registerTpp(manager, aispOnly, ['AISP']));
      const params = await parParams(await newConsent(), { scope: 'openid payments', redirect_uri: aispOnly.redirect_uris[0] });
      const result = await expectNothingWritten(platform, async () => postForm(parUrl, { ...params, ...(await clientAuth(aispOnly)) }));
      expect(result.status).toBe(400);
      expect(result.body).toEqual({ error: 'invalid_scope', error_description: 'requested scope is not allowed', scope: 'payments' });
    });
  });

  describe('codes and tokens', () => {
    let code: { redirect: URL; request: PushedRequest };

    beforeAll(async () => {
      code = await codeForNewConsent(0);
    });

    function codeForm(verifier = code.request.codeVerifier): Record<string, string> {
      return { grant_type: 'authorization_code', code: code.redirect.searchParams.get('code')!, redirect_uri: tppA.redirect_uris[0]!, code_verifier: verifier };
    }

    it("refuses TPP A's code exchanged by TPP B, with B's own authentication and A's verifier (A3b)", async () => {
      const result = await expectNothingWritten(platform, async () => tokenRequest({ ...codeForm(), ...(await clientAuth(tppB)) }, await attackerKey()));
      expect(result.status).toBe(400);
      expect(result.body).toEqual(INVALID_GRANT);
    });

    it('refuses a stolen code with a code_verifier that is not the PKCE one (A3b)', async () => {
      const result = await expectNothingWritten(platform, async () => tokenRequest({ ...codeForm(oidc.randomPKCECodeVerifier()), ...(await clientAuth(tppA)) }, await attackerKey()));
      expect(result.status).toBe(400);
      expect(result.body).toEqual(INVALID_GRANT);
    });

    it('refuses a token request without a DPoP proof from a DPoP client: code and client-credentials grants', async () => {
      await expectNothingWritten(platform, async () => {
        for (const form of [codeForm(), { grant_type: 'client_credentials', scope: 'accounts' }]) {
          const result = await postForm(tokenUrl, { ...form, ...(await clientAuth(tppA)) });
          expect(result.status).toBe(400);
          expect(result.body).toEqual(INVALID_GRANT);
        }
      });
    });

    it('refuses a code exchanged a second time (A3b)', async () => {
      const tokens = await platform.tpp.exchangeCode(code.redirect, code.request);
      platform.secrets.add(tokens.access_token);
      if (tokens.refresh_token) platform.secrets.add(tokens.refresh_token);
      // The replay revokes the grant the first exchange created (RFC 6749 4.1.2), which ends its consent
      // (CANC, consent.revoked): that, and only that, is written.
      const replay = await expectNothingWritten(platform, async () => tokenRequest({ ...codeForm(), ...(await clientAuth(tppA)) }, await attackerKey()), {
        audit: ['consent.revoked', 'token.revoked'],
        ignoreTables: ['account_access_consent'],
        ignoreModels: ['Grant', 'AuthorizationCode', 'RefreshToken'],
      });
      expect(replay.status).toBe(400);
      expect(replay.body).toEqual(INVALID_GRANT);
    });

    it("refuses TPP A's refresh token used by TPP B (A5)", async () => {
      const consent = await authorisedConsent(platform, platform.tpp, { psu: platform.sandbox.psus[1]! });
      const result = await expectNothingWritten(platform, async () =>
        tokenRequest({ grant_type: 'refresh_token', refresh_token: consent.refreshToken!, ...(await clientAuth(tppB)) }, await attackerKey()),
      );
      expect(result.status).toBe(400);
      expect(result.body).toEqual(INVALID_GRANT);
    });

    it("answers TPP B's introspection of TPP A's token with active: false (A5)", async () => {
      const token = await clientCredentials(platform, platform.tpp);
      const own = await postForm(`${issuer}/token/introspection`, { token, ...(await clientAuth(tppA)) });
      expect(own.body).toMatchObject({ active: true, client_id: tppA.client_id });
      const result = await expectNothingWritten(platform, async () => postForm(`${issuer}/token/introspection`, { token, ...(await clientAuth(tppB)) }));
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ active: false });
    });
  });

  describe('client authentication and DPoP at the token endpoint', () => {
    const grant = { grant_type: 'client_credentials', scope: 'accounts' };

    it('refuses client authentication other than private_key_jwt: client_secret_basic, client_secret_post, none (A1)', async () => {
      const basic = Buffer.from(`${tppA.client_id}:a-guessed-secret`).toString('base64');
      const attempts: Array<[Record<string, string>, Record<string, string>]> = [
        [{}, { authorization: `Basic ${basic}` }],
        [{ client_id: tppA.client_id, client_secret: 'a-guessed-secret' }, {}],
        [{ client_id: tppA.client_id }, {}],
      ];
      await expectNothingWritten(platform, async () => {
        for (const [form, headers] of attempts) {
          const result = await tokenRequest({ ...grant, ...form }, await attackerKey(), headers);
          expect(result.status).toBe(401);
          expect(result.body).toEqual(INVALID_CLIENT);
        }
      });
    });

    it('refuses a replayed client assertion: its jti is single-use (A1a)', async () => {
      const auth = await clientAuth(tppA);
      const first = await tokenRequest({ ...grant, ...auth }, await attackerKey());
      expect(first.status).toBe(200);
      platform.secrets.add((first.body as { access_token: string }).access_token);
      const replay = await expectNothingWritten(platform, async () => tokenRequest({ ...grant, ...auth }, await attackerKey()));
      expect(replay.status).toBe(401);
      expect(replay.body).toEqual(INVALID_CLIENT);
    });

    it('refuses a client assertion made for another audience (A1a)', async () => {
      await expectNothingWritten(platform, async () => {
        for (const audience of [platform.env.API_URL!, 'https://as.attacker.example']) {
          const result = await tokenRequest({ ...grant, ...(await clientAuth(tppA, { audience })) }, await attackerKey());
          expect(result.status).toBe(401);
          expect(result.body).toEqual(INVALID_CLIENT);
        }
      });
    });

    it("refuses TPP B's key signing an assertion that claims to be TPP A (A1)", async () => {
      const result = await expectNothingWritten(platform, async () => tokenRequest({ ...grant, ...(await clientAuth(tppB, { clientId: tppA.client_id })) }, await attackerKey()));
      expect(result.status).toBe(401);
      expect(result.body).toEqual(INVALID_CLIENT);
    });

    it('refuses a DPoP proof made in advance, without the server nonce (A1a)', async () => {
      const proof = await dpopProof(await attackerKey(), { htm: 'POST', htu: tokenUrl });
      const result = await expectNothingWritten(platform, async () => postForm(tokenUrl, { ...grant, ...(await clientAuth(tppA)) }, { dpop: proof }));
      expect(result.status).toBe(400);
      expect(result.body).toEqual({ error: 'use_dpop_nonce', error_description: 'nonce is required in the DPoP proof' });
    });

    it('refuses a DPoP proof made for another endpoint (htu) (A1a)', async () => {
      const proof = await dpopProof(await attackerKey(), { htm: 'POST', htu: parUrl, extraClaims: { nonce: await dpopNonce() } });
      const result = await expectNothingWritten(platform, async () => postForm(tokenUrl, { ...grant, ...(await clientAuth(tppA)) }, { dpop: proof }));
      expect(result.status).toBe(400);
      expect(result.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'DPoP proof htu mismatch' });
    });

    it('refuses a token for a resource other than the API: no token usable at a foreign resource server (A5)', async () => {
      const result = await expectNothingWritten(platform, async () => tokenRequest({ ...grant, resource: 'https://rs.attacker.example', ...(await clientAuth(tppA)) }, await attackerKey()));
      expect(result.status).toBe(400);
      expect(result.body).toEqual({ error: 'invalid_target', error_description: 'resource indicator is missing, or unknown' });
    });
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
