import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { consumePaymentConsent, CreatePaymentConsent, expirePaymentConsents, PaymentApprovalSeal, RevokePaymentConsent } from '@consentry/consents';
import { JsonObject, PaymentConsentKind, PaymentConsentStatus } from '@consentry/database';
import { createSandboxTppKeys, registerTpp, SANDBOX_TPP, SandboxPsuCredentials } from '@consentry/sandbox';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as client from 'openid-client';

import { API_URL, AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { PsuBrowser } from '../support/psu-browser.js';
import { approve, signIn } from '../support/psu-journey.js';
import { pushAuthorization, tppConfiguration } from '../support/tpp-client.js';

type Tokens = Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
type PaymentScope = 'payments' | 'fundsconfirmations';

/** A payment consent the PSU approved at the auth server, the tokens its code bought and the DPoP key's thumbprint. */
interface AuthorisedConsent {
  consentId: string;
  psuId: string;
  grantId: string;
  tokens: Tokens;
  jkt: string;
}

/** The kinds of payment consent used many times: their grants get refresh tokens, they are revoked and they expire. */
interface RecurringKind {
  kind: Extract<PaymentConsentKind, 'domestic-vrp' | 'funds-confirmation'>;
  scope: PaymentScope;
  psu: string;
  /** Who ends it, the way the platform does: the PSU from the dashboard, or the TPP's DELETE. */
  revokedBy: 'psu' | 'tpp';
}

const DAY = 24 * 3600 * 1000;
const PAYEE = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678', Name: 'Bob’s Gym' };
const INACTIVE = { active: false };

/**
 * RFC 7662 for the PSU tokens of payment consents (provider/jwt-introspection.ts): a VRP's and a
 * funds-confirmation consent's access and refresh tokens are active while the consent is AUTH, with
 * the consent and the DPoP key in the answer, and inactive once the consent is revoked (CANC) or has
 * expired (EXPD); a domestic payment consent's token is inactive once its payment consumed it (COND),
 * its grant still there; another TPP gets nothing.
 */
describe('introspecting the tokens of payment consents', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;
  let otherTpp: client.Configuration;
  let api: client.Configuration;
  let keyDir: string;
  // The suite's own SECRETS_KEY (alone, the keyring's key `default`): the auth server seals each payment
  // approval with it, and the payment made here checks that seal.
  const secretsKey = { kid: 'default', key: randomBytes(32) };
  const psu = (name: string): SandboxPsuCredentials => fixture.credentials.psus.find((p) => p.username === name)!;

  beforeAll(async () => {
    // The API as an introspection client: its public key configured, its private key kept by the test.
    keyDir = await mkdtemp(join(tmpdir(), 'consentry-api-client-'));
    const { privateKey, publicKey } = await generateKeyPair('PS256');
    await writeFile(join(keyDir, 'api-client.jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'api-1', alg: 'PS256', use: 'sig' }] }));
    fixture = await startAuthServerFixture('payment_introspection', {
      API_CLIENT_JWKS_FILE: join(keyDir, 'api-client.jwks.json'),
      SECRETS_KEY: secretsKey.key.toString('base64'),
    });
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
    api = await client.discovery(new URL(fixture.server.url), 'consentry-api', { token_endpoint_auth_signing_alg: 'PS256' }, client.PrivateKeyJwt({ key: privateKey, kid: 'api-1' }), {
      execute: [client.allowInsecureRequests],
    });
    const other = await createSandboxTppKeys('other-tpp', 'Other App', 'https://other-tpp.localhost/callback');
    await fixture.db.dataSource.transaction((manager) => registerTpp(manager, other, ['PISP', 'CBPII']));
    otherTpp = await tppConfiguration(fixture.server.url, other);
  });
  afterAll(async () => {
    await fixture?.stop();
    await rm(keyDir, { recursive: true, force: true });
  });

  /** The PSU's first enabled GBP sort-code account: the debtor of every consent here. */
  async function gbpAccount(username: string): Promise<{ accountId: string; identification: string }> {
    const [row]: Array<{ account_id: string; identification: string }> = await fixture.db.dataSource.query(
      `SELECT a.account_id, a.identification FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = $1 AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' AND a.status = 'Enabled'
        ORDER BY a.account_id LIMIT 1`,
      [username],
    );
    return { accountId: row!.account_id, identification: row!.identification };
  }

  async function createConsent(kind: PaymentConsentKind, debtorIdentification: string, expirationDateTime: Date | null): Promise<{ consentId: string; initiation: JsonObject }> {
    let initiation: JsonObject;
    let controlParameters: JsonObject | undefined;
    switch (kind) {
      case 'domestic-vrp':
        initiation = { CreditorAccount: PAYEE };
        controlParameters = {
          VRPType: ['UK.OBIE.VRPType.Other'],
          PSUAuthenticationMethods: ['UK.OBIE.SCA'],
          ValidToDateTime: expirationDateTime!.toISOString(),
          MaximumIndividualAmount: { Amount: '50.00', Currency: 'GBP' },
          PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP' }],
        };
        break;
      case 'funds-confirmation':
        initiation = { DebtorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: debtorIdentification } };
        break;
      default:
        initiation = {
          InstructionIdentification: 'INSTR-GYM-1',
          EndToEndIdentification: 'GYM-1',
          InstructedAmount: { Amount: '25.00', Currency: 'GBP' },
          CreditorAccount: PAYEE,
        };
    }
    const consent = await new CreatePaymentConsent(fixture.db.dataSource).execute({
      clientId: SANDBOX_TPP.clientId,
      kind,
      initiation,
      ...(controlParameters ? { controlParameters } : {}),
      risk: {},
      expirationDateTime,
    });
    return { consentId: consent.consentId, initiation };
  }

  async function consentRow(consentId: string): Promise<{ status: PaymentConsentStatus; psu_id: string | null; grant_id: string | null }> {
    const [row] = await fixture.db.dataSource.query(`SELECT status, psu_id, grant_id FROM payment_consent WHERE consent_id = $1`, [consentId]);
    return row;
  }

  async function grantExists(grantId: string): Promise<boolean> {
    const rows: unknown[] = await fixture.db.dataSource.query(`SELECT 1 FROM oidc_model WHERE model = 'Grant' AND id = $1`, [grantId]);
    return rows.length === 1;
  }

  /** The whole PSU journey: PAR with the consent, sign-in, approval with the debtor account, and the code exchanged with DPoP. */
  async function authorise(who: SandboxPsuCredentials, consentId: string, scope: PaymentScope, debtorAccountId: string): Promise<AuthorisedConsent> {
    const keys = await client.randomDPoPKeyPair('ES256');
    const pushed = await pushAuthorization(config, client.getDPoPHandle(config, keys), SANDBOX_TPP.redirectUri, consentId, `openid ${scope}`);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const page = await signIn(browser, await browser.open(pushed.url), who);
    const callback = new URL((await approve(browser, page, [debtorAccountId])).url);
    expect(callback.searchParams.get('code')).toEqual(expect.any(String));
    // openid-client sends the callback URL without its query as redirect_uri.
    const tokens = await client.authorizationCodeGrant(
      config,
      new URL(`${SANDBOX_TPP.redirectUri}${callback.search}`),
      { pkceCodeVerifier: pushed.codeVerifier, expectedState: pushed.state, expectedNonce: pushed.nonce },
      undefined,
      { DPoP: client.getDPoPHandle(config, keys) },
    );
    const row = await consentRow(consentId);
    expect(row.status).toBe('AUTH');
    return { consentId, psuId: row.psu_id!, grantId: row.grant_id!, tokens, jkt: await calculateJwkThumbprint(await exportJWK(keys.publicKey)) };
  }

  /** What introspection answers for a live consent's access token: exactly the claims jwt-introspection.ts returns. */
  function activeAccessToken(authorised: AuthorisedConsent, scope: PaymentScope, accessToken = authorised.tokens.access_token): Record<string, unknown> {
    const claims = decodeJwt(accessToken);
    return {
      active: true,
      iss: fixture.server.url,
      client_id: SANDBOX_TPP.clientId,
      sub: authorised.psuId,
      aud: API_URL,
      // The resource's scope alone: `openid` stays with the grant and its refresh token.
      scope,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: 'DPoP',
      cnf: { jkt: authorised.jkt },
      openbanking_intent_id: authorised.consentId,
    };
  }

  async function expectInactiveEverywhere(authorised: AuthorisedConsent): Promise<void> {
    const tokens = [authorised.tokens.access_token, ...(authorised.tokens.refresh_token ? [authorised.tokens.refresh_token] : [])];
    for (const token of tokens) {
      expect(await client.tokenIntrospection(config, token)).toEqual(INACTIVE);
      expect(await client.tokenIntrospection(api, token)).toEqual(INACTIVE);
    }
  }

  const recurring: RecurringKind[] = [
    { kind: 'domestic-vrp', scope: 'payments', psu: 'alice', revokedBy: 'psu' },
    { kind: 'funds-confirmation', scope: 'fundsconfirmations', psu: 'bob', revokedBy: 'tpp' },
  ];

  describe.each(recurring)('a $kind consent (scope $scope)', ({ kind, scope, psu: username, revokedBy }) => {
    let live: AuthorisedConsent;
    const liveExpiresAt = new Date(Date.now() + 30 * DAY);

    async function authorisedConsent(expiresAt: Date): Promise<AuthorisedConsent> {
      const debtor = await gbpAccount(username);
      const { consentId } = await createConsent(kind, debtor.identification, expiresAt);
      return authorise(psu(username), consentId, scope, debtor.accountId);
    }

    beforeAll(async () => {
      live = await authorisedConsent(liveExpiresAt);
    });

    it('answers its access token active to the TPP and to the API, with the client, scope, consent and DPoP key', async () => {
      expect(await client.tokenIntrospection(config, live.tokens.access_token)).toEqual(activeAccessToken(live, scope));
      expect(await client.tokenIntrospection(api, live.tokens.access_token)).toEqual(activeAccessToken(live, scope));
    });

    it('answers its refresh token active, ending with the consent, and an access token refreshed with it too', async () => {
      expect(live.tokens.refresh_token).toEqual(expect.any(String));
      const answer = await client.tokenIntrospection(config, live.tokens.refresh_token!);
      expect(answer).toEqual({
        active: true,
        iss: fixture.server.url,
        client_id: SANDBOX_TPP.clientId,
        sub: live.psuId,
        scope: `openid ${scope}`,
        iat: expect.any(Number),
        exp: expect.any(Number),
      });
      expect(answer.exp).toBeLessThanOrEqual(Math.ceil(liveExpiresAt.getTime() / 1000));
      const refreshed = await client.refreshTokenGrant(config, live.tokens.refresh_token!, undefined, { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) });
      const again = await client.tokenIntrospection(api, refreshed.access_token);
      expect(again).toMatchObject({ active: true, client_id: SANDBOX_TPP.clientId, scope, openbanking_intent_id: live.consentId, token_type: 'DPoP' });
      expect(again.jti).not.toBe(decodeJwt(live.tokens.access_token).jti);
    });

    it('answers another TPP inactive for both tokens (RFC 7662 2.2: not its token)', async () => {
      expect(await client.tokenIntrospection(otherTpp, live.tokens.access_token)).toEqual(INACTIVE);
      expect(await client.tokenIntrospection(otherTpp, live.tokens.refresh_token!)).toEqual(INACTIVE);
      // The refusal is the caller's, not the tokens': their own TPP still sees them active.
      expect(await client.tokenIntrospection(config, live.tokens.access_token)).toMatchObject({ active: true });
    });

    it(`answers its tokens inactive once the ${revokedBy === 'psu' ? 'PSU revokes the consent from the dashboard' : 'TPP deletes the consent'} (CANC)`, async () => {
      // The use case behind DELETE /customer/consents/{ConsentId} (PSU) and the TPP's DELETE of the consent.
      await new RevokePaymentConsent(fixture.db.dataSource).execute({
        consentId: live.consentId,
        by: revokedBy === 'psu' ? { type: 'psu', psuId: live.psuId } : { type: 'tpp', clientId: SANDBOX_TPP.clientId },
        ...(revokedBy === 'tpp' ? { kind } : {}),
      });
      expect(await consentRow(live.consentId)).toMatchObject({ status: 'CANC', grant_id: null });
      await expectInactiveEverywhere(live);
    });

    it('answers its tokens inactive once the consent has expired (EXPD)', async () => {
      const expiresAt = new Date(Date.now() + 2 * DAY);
      const expiring = await authorisedConsent(expiresAt);
      expect(await client.tokenIntrospection(api, expiring.tokens.access_token)).toEqual(activeAccessToken(expiring, scope));
      // The worker's expiry sweep, run as if its ExpirationDateTime had passed: the only consent due then.
      expect(await expirePaymentConsents(fixture.db.dataSource, { now: new Date(expiresAt.getTime() + 1000) })).toBe(1);
      expect((await consentRow(expiring.consentId)).status).toBe('EXPD');
      await expectInactiveEverywhere(expiring);
    });
  });

  describe('a domestic-payment consent (scope payments)', () => {
    let authorised: AuthorisedConsent;
    let initiation: JsonObject;

    beforeAll(async () => {
      const debtor = await gbpAccount('carol');
      const created = await createConsent('domestic-payment', debtor.identification, null);
      initiation = created.initiation;
      authorised = await authorise(psu('carol'), created.consentId, 'payments', debtor.accountId);
    });

    it('gets no refresh token, and its access token is active to the TPP and to the API while the consent is AUTH', async () => {
      expect(authorised.tokens.refresh_token).toBeUndefined();
      expect(await client.tokenIntrospection(config, authorised.tokens.access_token)).toEqual(activeAccessToken(authorised, 'payments'));
      expect(await client.tokenIntrospection(api, authorised.tokens.access_token)).toEqual(activeAccessToken(authorised, 'payments'));
    });

    it('answers another TPP inactive', async () => {
      expect(await client.tokenIntrospection(otherTpp, authorised.tokens.access_token)).toEqual(INACTIVE);
      expect(await client.tokenIntrospection(config, authorised.tokens.access_token)).toMatchObject({ active: true });
    });

    it('answers its access token inactive once its payment consumed the consent (COND), though its grant remains', async () => {
      // What POST /domestic-payments does to the consent, in the order's transaction (consume-payment-consent.ts).
      await fixture.db.dataSource.transaction((manager) =>
        consumePaymentConsent(manager, new PaymentApprovalSeal([secretsKey]), { consentId: authorised.consentId, clientId: SANDBOX_TPP.clientId, kind: 'domestic-payment', initiation, risk: {} }),
      );
      expect(await consentRow(authorised.consentId)).toMatchObject({ status: 'COND', grant_id: authorised.grantId });
      // Consumption deletes nothing: only the consent's status (isPaymentConsentLive: AUTH only) ends the token.
      expect(await grantExists(authorised.grantId)).toBe(true);
      await expectInactiveEverywhere(authorised);
    });
  });
});
