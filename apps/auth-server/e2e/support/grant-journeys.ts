import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SANDBOX_TPP, SandboxPsuCredentials } from '@consentry/sandbox';
import { exportJWK, generateKeyPair } from 'jose';
import * as client from 'openid-client';

import { AuthServerFixture, startAuthServerFixture } from './auth-server.fixture.js';
import { createVrpConsent, gbpPaymentAccountOf } from './payment-consents.js';
import { PsuBrowser } from './psu-browser.js';
import { approve, signIn } from './psu-journey.js';
import { pushAuthorization, tppConfiguration } from './tpp-client.js';

export type Tokens = Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
export const DAY = 24 * 3600 * 1000;
export const INACTIVE = { active: false };
const PAYEE = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678', Name: 'Bob’s Gym' };

export interface Authorised {
  consentId: string;
  tokens: Tokens;
  keys: client.CryptoKeyPair;
  callback: URL;
  pushed: Awaited<ReturnType<typeof pushAuthorization>>;
}

/** The auth server fixture, the sandbox TPP (openid-client) and the API as an introspection client, with PSU journeys that authorise AIS and VRP consents and hold their tokens. */
export interface GrantJourneys {
  fixture: AuthServerFixture;
  config: client.Configuration;
  api: client.Configuration;
  psu(name: string): SandboxPsuCredentials;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  journey(who: SandboxPsuCredentials, consentId: string, scope: string, accountIds: string[]): Promise<Authorised>;
  aisConsent(who: string): Promise<Authorised>;
  vrpConsent(who: string): Promise<Authorised>;
  dpop(a: Authorised): { DPoP: client.DPoPHandle };
  redeemAgain(a: Authorised): Promise<Tokens>;
  stop(): Promise<void>;
}

export async function startGrantJourneys(label: string): Promise<GrantJourneys> {
  const keyDir = await mkdtemp(join(tmpdir(), 'grant-journeys-api-client-'));
  const { privateKey, publicKey } = await generateKeyPair('PS256');
  await writeFile(join(keyDir, 'api-client.jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'api-1', alg: 'PS256', use: 'sig' }] }));
  const fixture = await startAuthServerFixture(label, { API_CLIENT_JWKS_FILE: join(keyDir, 'api-client.jwks.json') });
  const config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
  const api = await client.discovery(new URL(fixture.server.url), 'consentry-api', { token_endpoint_auth_signing_alg: 'PS256' }, client.PrivateKeyJwt({ key: privateKey, kid: 'api-1' }), {
    execute: [client.allowInsecureRequests],
  });
  const psu = (name: string) => fixture.credentials.psus.find((p) => p.username === name)!;
  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => fixture.db.dataSource.query(sql, params);
  const dpop = (a: Authorised) => ({ DPoP: client.getDPoPHandle(config, a.keys) });

  async function journey(who: SandboxPsuCredentials, consentId: string, scope: string, accountIds: string[]): Promise<Authorised> {
    const keys = await client.randomDPoPKeyPair('ES256');
    const pushed = await pushAuthorization(config, client.getDPoPHandle(config, keys), SANDBOX_TPP.redirectUri, consentId, scope);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const page = await signIn(browser, await browser.open(pushed.url), who);
    const callback = new URL((await approve(browser, page, accountIds)).url);
    const tokens = await client.authorizationCodeGrant(
      config,
      new URL(`${SANDBOX_TPP.redirectUri}${callback.search}`),
      { pkceCodeVerifier: pushed.codeVerifier, expectedState: pushed.state, expectedNonce: pushed.nonce },
      undefined,
      { DPoP: client.getDPoPHandle(config, keys) },
    );
    return { consentId, tokens, keys, callback, pushed };
  }

  return {
    fixture,
    config,
    api,
    psu,
    query,
    journey,
    dpop,
    async aisConsent(who) {
      const consentId = await fixture.createConsent();
      return journey(psu(who), consentId, 'openid accounts', [psu(who).accounts[0]!.accountId]);
    },
    async vrpConsent(who) {
      const debtorAccountId = await gbpPaymentAccountOf(fixture.db.dataSource, who);
      return journey(psu(who), await createVrpConsent(fixture.db.dataSource, PAYEE), 'openid payments', [debtorAccountId]);
    },
    redeemAgain(a) {
      return client.authorizationCodeGrant(
        config,
        new URL(`${SANDBOX_TPP.redirectUri}${a.callback.search}`),
        { pkceCodeVerifier: a.pushed.codeVerifier, expectedState: a.pushed.state, expectedNonce: a.pushed.nonce },
        undefined,
        dpop(a),
      );
    },
    async stop() {
      await fixture.stop();
      await rm(keyDir, { recursive: true, force: true });
    },
  };
}
