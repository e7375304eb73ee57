import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findConsentAccess } from '@consentry/consents';
import { SANDBOX_TPP } from '@consentry/sandbox';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK } from 'jose';
import * as client from 'openid-client';

import { API_URL, AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { accountCheckboxes, PageResponse, PsuBrowser } from '../support/psu-browser.js';
import { approve, signIn } from '../support/psu-journey.js';
import { pushAuthorization, tppConfiguration } from '../support/tpp-client.js';

describe('authorization journey: the PSU approves an account-access consent', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;
  let consentId: string;
  let dpopKeys: client.CryptoKeyPair;
  let callback: URL;
  let pushed: Awaited<ReturnType<typeof pushAuthorization>>;
  let consentPageHtml: string;
  let approvedAccounts: string[];

  beforeAll(async () => {
    fixture = await startAuthServerFixture('authorize_approve');
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
    consentId = await fixture.createConsent();
    dpopKeys = await client.randomDPoPKeyPair('ES256');
    pushed = await pushAuthorization(config, client.getDPoPHandle(config, dpopKeys), SANDBOX_TPP.redirectUri, consentId);

    const alice = fixture.credentials.psus.find((p) => p.username === 'alice')!;
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const loginPage = await browser.open(pushed.url);
    expect(loginPage.status).toBe(200);
    expect(loginPage.body).toContain('Sandbox Budgeting App');
    const consentPage = await signIn(browser, loginPage, alice);
    expect(consentPage.status).toBe(200);
    consentPageHtml = consentPage.body;
    approvedAccounts = alice.accounts.slice(0, 2).map((a) => a.accountId);
    const done = await approve(browser, consentPage, approvedAccounts);
    callback = new URL(done.url);
  });
  afterAll(async () => fixture?.stop());

  it('shows the TPP, the permissions in plain words and every account of the PSU across both banks', () => {
    expect(consentPageHtml).toContain('Share your account information with Sandbox Budgeting App?');
    expect(consentPageHtml).toContain('Your account details');
    expect(consentPageHtml).toContain('Your balances');
    expect(consentPageHtml).toContain('Access ends on');
    const boxes = accountCheckboxes(consentPageHtml);
    const alice = fixture.credentials.psus.find((p) => p.username === 'alice')!;
    expect(boxes.map((b) => b.accountId).sort()).toEqual(alice.accounts.map((a) => a.accountId).sort());
    expect(boxes.some((b) => b.label.includes('Northwind Bank'))).toBe(true);
    expect(boxes.some((b) => b.label.includes('Southbridge Building Society'))).toBe(true);
  });

  it('redirects to the TPP with a code, the state and the issuer (RFC 9207)', () => {
    expect(callback.origin + callback.pathname).toBe(SANDBOX_TPP.redirectUri);
    expect(callback.searchParams.get('code')).toEqual(expect.any(String));
    expect(callback.searchParams.get('state')).toBe(pushed.state);
    expect(callback.searchParams.get('iss')).toBe(fixture.server.url);
  });

  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;

  it('exchanges the code with DPoP for a bound JWT access token naming the consent', async () => {
    tokens = await client.authorizationCodeGrant(
      config,
      callback,
      { pkceCodeVerifier: pushed.codeVerifier, expectedState: pushed.state, expectedNonce: pushed.nonce },
      undefined,
      { DPoP: client.getDPoPHandle(config, dpopKeys) },
    );
    expect(tokens.token_type).toBe('dpop');
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'PS256', typ: 'at+jwt' });
    const claims = decodeJwt(tokens.access_token);
    const alice = fixture.credentials.psus.find((p) => p.username === 'alice')!;
    const [psu] = await fixture.db.dataSource.query(`SELECT psu_id FROM psu WHERE username = $1`, [alice.username]);
    expect(claims).toMatchObject({ iss: fixture.server.url, aud: API_URL, client_id: 'sandbox-tpp', sub: psu.psu_id, openbanking_intent_id: consentId });
    expect((claims.scope as string).split(' ')).toContain('accounts');
    expect((claims.cnf as { jkt: string }).jkt).toBe(await calculateJwkThumbprint(await exportJWK(dpopKeys.publicKey)));
  });

  it('issues an ID token carrying the consent id, and a refresh token', () => {
    const idToken = tokens.claims()!;
    expect(idToken.openbanking_intent_id).toBe(consentId);
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('PS256');
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('stores the consent as AUTH with exactly the two accounts and the grant', async () => {
    const access = await findConsentAccess(fixture.db.dataSource, consentId);
    expect(access?.status).toBe('AUTH');
    expect(access?.accountIds).toEqual([...approvedAccounts].sort());
    const [row] = await fixture.db.dataSource.query(`SELECT grant_id FROM account_access_consent WHERE consent_id = $1`, [consentId]);
    const grants = await fixture.db.dataSource.query(`SELECT 1 FROM oidc_model WHERE model = 'Grant' AND id = $1`, [row.grant_id]);
    expect(grants).toHaveLength(1);
  });

  it('refuses a replayed code with invalid_grant', async () => {
    await expect(
      client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: pushed.codeVerifier, expectedState: pushed.state, expectedNonce: pushed.nonce }, undefined, {
        DPoP: client.getDPoPHandle(config, dpopKeys),
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
  });

  it('refreshes with the same DPoP key, keeping the consent id in the access token', async () => {
    const alice = fixture.credentials.psus.find((p) => p.username === 'alice')!;
    // The replayed code revoked the grant (RFC 6749 4.1.2): authorise a fresh consent to test refresh.
    const second = await fixture.createConsent();
    const keys = await client.randomDPoPKeyPair('ES256');
    const request = await pushAuthorization(config, client.getDPoPHandle(config, keys), SANDBOX_TPP.redirectUri, second);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const consentPage = await signIn(browser, await browser.open(request.url), alice);
    const done = await approve(browser, consentPage, [alice.accounts[2]!.accountId]);
    const issued = await client.authorizationCodeGrant(
      config,
      new URL(done.url),
      { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce },
      undefined,
      { DPoP: client.getDPoPHandle(config, keys) },
    );
    const refreshed = await client.refreshTokenGrant(config, issued.refresh_token!, undefined, { DPoP: client.getDPoPHandle(config, keys) });
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ openbanking_intent_id: second, aud: API_URL });
    const events: Array<{ event: Record<string, unknown> }> = await fixture.db.dataSource.query(
      `SELECT event FROM audit_outbox WHERE event->>'type' = 'token.issued' AND event->>'consentId' = $1 ORDER BY created_seq`,
      [second],
    );
    expect(events.map((e) => (e.event.data as { grantType: string }).grantType)).toEqual(['authorization_code', 'refresh_token']);
    expect((events[0]!.event.data as { issued: string[] }).issued).toEqual(['access_token', 'refresh_token', 'id_token']);
  });

  it('refuses a second authorisation of an authorised consent, back at the TPP', async () => {
    const alice = fixture.credentials.psus.find((p) => p.username === 'alice')!;
    const again = await pushAuthorization(config, client.getDPoPHandle(config, dpopKeys), SANDBOX_TPP.redirectUri, consentId);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const result = await browser.open(again.url);
    const back = new URL(result.url);
    expect(back.origin + back.pathname).toBe(SANDBOX_TPP.redirectUri);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'invalid_request',
      error_description: 'the requested consent is not awaiting authorisation',
      state: again.state,
      iss: fixture.server.url,
    });
    expect(alice).toBeDefined();
  });

  it('refuses an account the page does not offer (a deleted one): the accounts again, the consent stays AWAU', async () => {
    const carol = fixture.credentials.psus.find((p) => p.username === 'carol')!;
    const deleted = carol.accounts[0]!.accountId;
    await fixture.db.dataSource.query(`UPDATE account SET status = 'Deleted' WHERE account_id = $1`, [deleted]);
    try {
      const consent = await fixture.createConsent();
      const request = await pushAuthorization(config, client.getDPoPHandle(config, dpopKeys), SANDBOX_TPP.redirectUri, consent);
      const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
      const consentPage = await signIn(browser, await browser.open(request.url), carol);
      expect(consentPage.status).toBe(200);
      const offered = accountCheckboxes(consentPage.body).map((b) => b.accountId);
      expect(offered).not.toContain(deleted);
      expect(offered.length).toBeGreaterThan(0);

      const refused = await approve(browser, consentPage, [deleted]);
      expect(refused.status).toBe(400);
      expect(refused.body).toContain('Choose accounts from the list below.');
      expect(accountCheckboxes(refused.body).map((b) => b.accountId)).toEqual(offered);
      const access = await findConsentAccess(fixture.db.dataSource, consent);
      expect(access?.status).toBe('AWAU');
      expect(access?.accountIds).toEqual([]);
      expect(access?.grantId).toBeNull();
      const events = await fixture.db.dataSource.query(`SELECT 1 FROM audit_outbox WHERE event->>'type' = 'consent.authorised' AND event->>'consentId' = $1`, [consent]);
      expect(events).toHaveLength(0);
    } finally {
      await fixture.db.dataSource.query(`UPDATE account SET status = 'Enabled' WHERE account_id = $1`, [deleted]);
    }
  });

  it('lets only one of two concurrent journeys authorise the same consent', async () => {
    const bob = fixture.credentials.psus.find((p) => p.username === 'bob')!;
    const contested = await fixture.createConsent();
    const journeys = await Promise.all(
      [0, 1].map(async () => {
        const request = await pushAuthorization(config, client.getDPoPHandle(config, dpopKeys), SANDBOX_TPP.redirectUri, contested);
        const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
        return { browser, request, page: await browser.open(request.url) };
      }),
    );
    const consentPages: PageResponse[] = [];
    for (const journey of journeys) consentPages.push(await signIn(journey.browser, journey.page, bob));
    const outcomes = await Promise.all(journeys.map(async (journey, i) => new URL((await approve(journey.browser, consentPages[i]!, [bob.accounts[0]!.accountId])).url)));
    const codes = outcomes.filter((url) => url.searchParams.has('code'));
    const refused = outcomes.filter((url) => url.searchParams.has('error'));
    expect(codes).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.searchParams.get('error')).toBe('invalid_request');
    // Refused by the page's status check or, when both passed it, by the use case's row lock.
    expect(refused[0]!.searchParams.get('error_description')).toMatch(/^the requested consent (is not awaiting authorisation|can no longer be authorised)$/);
    const access = await findConsentAccess(fixture.db.dataSource, contested);
    expect(access?.status).toBe('AUTH');
    expect(access?.accountIds).toEqual([bob.accounts[0]!.accountId]);
  });
});
