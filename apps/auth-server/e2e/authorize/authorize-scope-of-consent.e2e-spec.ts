import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CreatePaymentConsent, findConsentAccess } from '@consentry/consents';
import { JsonObject, PaymentConsentKind } from '@consentry/database';
import { SANDBOX_TPP, SandboxPsuCredentials } from '@consentry/sandbox';
import * as client from 'openid-client';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { PageResponse, PsuBrowser } from '../support/psu-browser.js';
import { approve, signIn } from '../support/psu-journey.js';
import { pushAuthorization, PushedAuthorization, tppConfiguration } from '../support/tpp-client.js';

/** The payment consents created here: a one-off payment, a lasting one, and a funds confirmation. */
type PaymentKind = Extract<PaymentConsentKind, 'domestic-payment' | 'domestic-vrp' | 'funds-confirmation'>;

/** A kind of consent, and a scope that asks for more than the consent covers. */
interface MixedScopeCase {
  kind: PaymentKind | 'account-access';
  scope: string;
  description: string;
}

const PAYEE = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678', Name: 'Bob’s Gym' };
const DAY = 24 * 3600 * 1000;

/**
 * A consent is authorised with its own resource scope and no other (consent-request.service.ts): a PAR that
 * names a domestic payment consent but also asks for `accounts` must not become a grant whose scope outlives
 * the payment (a refresh token reading accounts, or minting tokens after the consent is consumed). The TPP
 * gets invalid_scope at its redirect_uri before any page; the consent stays AWAU.
 */
describe('authorising a consent with a scope it does not cover', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;
  const psu = (name: string): SandboxPsuCredentials => fixture.credentials.psus.find((p) => p.username === name)!;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('authorize_scope');
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
  });
  afterAll(async () => fixture?.stop());

  async function gbpAccount(username: string): Promise<{ accountId: string; identification: string }> {
    const [row]: Array<{ account_id: string; identification: string }> = await fixture.db.dataSource.query(
      `SELECT a.account_id, a.identification FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = $1 AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' AND a.status = 'Enabled'
        ORDER BY a.account_id LIMIT 1`,
      [username],
    );
    return { accountId: row!.account_id, identification: row!.identification };
  }

  async function createPaymentConsent(kind: PaymentKind): Promise<string> {
    const debtor = await gbpAccount('alice');
    const validTo = new Date(Date.now() + 30 * DAY);
    const terms: Record<PaymentKind, { initiation: JsonObject; controlParameters?: JsonObject }> = {
      'domestic-payment': {
        initiation: { InstructionIdentification: 'INSTR-SCOPE-1', EndToEndIdentification: 'SCOPE-1', InstructedAmount: { Amount: '5.00', Currency: 'GBP' }, CreditorAccount: PAYEE },
      },
      'domestic-vrp': {
        initiation: { CreditorAccount: PAYEE },
        controlParameters: {
          VRPType: ['UK.OBIE.VRPType.Other'],
          PSUAuthenticationMethods: ['UK.OBIE.SCA'],
          ValidToDateTime: validTo.toISOString(),
          MaximumIndividualAmount: { Amount: '10.00', Currency: 'GBP' },
          PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '100.00', Currency: 'GBP' }],
        },
      },
      'funds-confirmation': { initiation: { DebtorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: debtor.identification } } },
    };
    const consent = await new CreatePaymentConsent(fixture.db.dataSource).execute({
      clientId: SANDBOX_TPP.clientId,
      kind,
      ...terms[kind],
      risk: {},
      expirationDateTime: kind === 'domestic-payment' ? null : validTo,
    });
    return consent.consentId;
  }

  async function consentStatus(kind: MixedScopeCase['kind'], consentId: string): Promise<string | undefined> {
    if (kind === 'account-access') return (await findConsentAccess(fixture.db.dataSource, consentId))?.status;
    const [row]: Array<{ status: string }> = await fixture.db.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [consentId]);
    return row?.status;
  }

  async function start(consentId: string, scope: string): Promise<{ browser: PsuBrowser; request: PushedAuthorization; page: PageResponse }> {
    const request = await pushAuthorization(config, client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')), SANDBOX_TPP.redirectUri, consentId, scope);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    return { browser, request, page: await browser.open(request.url) };
  }

  function backAtTpp(page: PageResponse): Record<string, string> {
    const url = new URL(page.url);
    expect(url.origin + url.pathname).toBe(SANDBOX_TPP.redirectUri);
    return Object.fromEntries(url.searchParams);
  }

  const mixed: MixedScopeCase[] = [
    { kind: 'domestic-payment', scope: 'openid payments accounts', description: 'a domestic-payment consent is authorised with the payments scope alone' },
    { kind: 'domestic-vrp', scope: 'openid payments fundsconfirmations', description: 'a domestic-vrp consent is authorised with the payments scope alone' },
    { kind: 'funds-confirmation', scope: 'openid fundsconfirmations accounts', description: 'a funds-confirmation consent is authorised with the fundsconfirmations scope alone' },
    { kind: 'account-access', scope: 'openid accounts payments', description: 'an account-access consent is authorised with the accounts scope alone' },
  ];

  it.each(mixed)('refuses the $kind consent asked with "$scope": invalid_scope before any page, the consent stays AWAU', async ({ kind, scope, description }) => {
    const consentId = kind === 'account-access' ? await fixture.createConsent() : await createPaymentConsent(kind);
    const { request, page } = await start(consentId, scope);
    expect(backAtTpp(page)).toEqual({ error: 'invalid_scope', error_description: description, state: request.state, iss: fixture.server.url });
    expect(await consentStatus(kind, consentId)).toBe('AWAU');
  });

  it('refuses a payment consent asked without its scope: invalid_scope', async () => {
    const consentId = await createPaymentConsent('domestic-payment');
    const { request, page } = await start(consentId, 'openid accounts');
    expect(backAtTpp(page)).toEqual({
      error: 'invalid_scope',
      error_description: 'a domestic-payment consent is authorised with the payments scope alone',
      state: request.state,
      iss: fixture.server.url,
    });
  });

  it('gives a domestic payment consent asked with its own scope a grant of that scope and no refresh token', async () => {
    const consentId = await createPaymentConsent('domestic-payment');
    const keys = await client.randomDPoPKeyPair('ES256');
    const request = await pushAuthorization(config, client.getDPoPHandle(config, keys), SANDBOX_TPP.redirectUri, consentId, 'openid payments');
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const page = await signIn(browser, await browser.open(request.url), psu('alice'));
    const callback = new URL((await approve(browser, page, [(await gbpAccount('alice')).accountId])).url);
    const tokens = await client.authorizationCodeGrant(
      config,
      new URL(`${SANDBOX_TPP.redirectUri}${callback.search}`),
      { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce },
      undefined,
      { DPoP: client.getDPoPHandle(config, keys) },
    );
    expect(tokens.scope).toBe('payments');
    expect(tokens.refresh_token).toBeUndefined();
    const [refreshTokens]: Array<{ count: string }> = await fixture.db.dataSource.query(
      `SELECT count(*) FROM oidc_model m JOIN payment_consent c ON c.grant_id = m.grant_id WHERE m.model = 'RefreshToken' AND c.consent_id = $1`,
      [consentId],
    );
    expect(refreshTokens!.count).toBe('0');
  });
});
