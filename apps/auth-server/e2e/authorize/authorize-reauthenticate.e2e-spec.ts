import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findConsentAccess, needsReauthentication } from '@consentry/consents';
import { SANDBOX_TPP, SandboxPsuCredentials } from '@consentry/sandbox';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';

import { API_URL, AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { accountCheckboxes, PsuBrowser } from '../support/psu-browser.js';
import { approve, deny, signIn } from '../support/psu-journey.js';
import { pushAuthorization, tppConfiguration } from '../support/tpp-client.js';

describe('authorization journey: the PSU re-confirms an authorised consent whose re-authentication is due', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;
  let dpopKeys: client.CryptoKeyPair;

  const psu = (name: string) => fixture.credentials.psus.find((p) => p.username === name)!;
  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => fixture.db.dataSource.query(sql, params);

  /** Authorises a new consent through the whole journey and returns it with its first tokens. */
  async function authorisedConsent(who: SandboxPsuCredentials, accountIds: string[]) {
    const consentId = await fixture.createConsent();
    const request = await pushAuthorization(config, client.getDPoPHandle(config, dpopKeys), SANDBOX_TPP.redirectUri, consentId);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const done = await approve(browser, await signIn(browser, await browser.open(request.url), who), accountIds);
    const tokens = await client.authorizationCodeGrant(
      config,
      new URL(done.url),
      { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce },
      undefined,
      { DPoP: client.getDPoPHandle(config, dpopKeys) },
    );
    return { consentId, tokens };
  }

  /** Moves the last authentication back in time, as if the consent had been authorised `days` ago. */
  async function authorisedDaysAgo(consentId: string, days: number, jurisdiction: 'UK' | 'EU'): Promise<void> {
    await query(`UPDATE account_access_consent SET authorised_at = now() - make_interval(days => $2), jurisdiction = $3 WHERE consent_id = $1`, [
      consentId,
      days,
      jurisdiction,
    ]);
  }

  async function consentRow(consentId: string) {
    const [row] = await query<{ status: string; grant_id: string; reauthenticated_at: Date | null }>(
      `SELECT status, grant_id, reauthenticated_at FROM account_access_consent WHERE consent_id = $1`,
      [consentId],
    );
    return row!;
  }

  let due: Awaited<ReturnType<typeof authorisedConsent>>;
  let boundAccounts: string[];

  beforeAll(async () => {
    fixture = await startAuthServerFixture('authorize_reauthenticate');
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
    dpopKeys = await client.randomDPoPKeyPair('ES256');
    boundAccounts = psu('alice').accounts.slice(0, 2).map((a) => a.accountId);
    due = await authorisedConsent(psu('alice'), boundAccounts);
    // UK: the customer reconfirms every 90 days (FCA SCA-RTS Art. 10A); 100 days ago is overdue.
    await authorisedDaysAgo(due.consentId, 100, 'UK');
    expect(needsReauthentication((await findConsentAccess(fixture.db.dataSource, due.consentId))!)).toBe(true);
  });
  afterAll(async () => fixture?.stop());

  it('refuses another PSU after sign-in with access_denied, leaving the consent unchanged', async () => {
    const before = await consentRow(due.consentId);
    const request = await pushAuthorization(config, client.getDPoPHandle(config, dpopKeys), SANDBOX_TPP.redirectUri, due.consentId);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const loginPage = await browser.open(request.url);
    expect(loginPage.status).toBe(200);
    const back = new URL((await signIn(browser, loginPage, psu('bob'))).url);
    expect(back.origin + back.pathname).toBe(SANDBOX_TPP.redirectUri);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'the signed-in PSU cannot re-confirm this consent',
      state: request.state,
      iss: fixture.server.url,
    });
    expect(await consentRow(due.consentId)).toEqual(before);
    expect(before.reauthenticated_at).toBeNull();
  });

  it('refuses an authorised consent that is not due yet, as a second authorisation, before any page', async () => {
    const consent = await authorisedConsent(psu('carol'), [psu('carol').accounts[0]!.accountId]);
    // EU: 180 days (PSD2 RTS Art. 10a); 100 days ago is not due.
    await authorisedDaysAgo(consent.consentId, 100, 'EU');
    const request = await pushAuthorization(config, client.getDPoPHandle(config, dpopKeys), SANDBOX_TPP.redirectUri, consent.consentId);
    const back = new URL((await new PsuBrowser(SANDBOX_TPP.redirectUri).open(request.url)).url);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'invalid_request',
      error_description: 'the requested consent is not awaiting authorisation',
      state: request.state,
      iss: fixture.server.url,
    });
  });

  it('returns access_denied when the PSU does not re-confirm, and keeps the consent AUTH', async () => {
    const consent = await authorisedConsent(psu('carol'), [psu('carol').accounts[1]!.accountId]);
    await authorisedDaysAgo(consent.consentId, 181, 'EU');
    const before = await consentRow(consent.consentId);
    const request = await pushAuthorization(config, client.getDPoPHandle(config, dpopKeys), SANDBOX_TPP.redirectUri, consent.consentId);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const page = await signIn(browser, await browser.open(request.url), psu('carol'));
    expect(page.body).toContain('This is a re-confirmation of access you already gave');
    const back = new URL((await deny(browser, page)).url);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'the PSU did not re-confirm the consent',
      state: request.state,
      iss: fixture.server.url,
    });
    expect(await consentRow(consent.consentId)).toEqual(before);
    expect(before.status).toBe('AUTH');
    const rejected = await query(`SELECT 1 FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' IN ('consent.rejected', 'consent.reauthenticated')`, [
      consent.consentId,
    ]);
    expect(rejected).toHaveLength(0);
  });

  describe('the consent’s own PSU approves', () => {
    let request: Awaited<ReturnType<typeof pushAuthorization>>;
    let page: string;
    let callback: URL;
    let previousGrant: string;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;

    beforeAll(async () => {
      previousGrant = (await consentRow(due.consentId)).grant_id;
      request = await pushAuthorization(config, client.getDPoPHandle(config, dpopKeys), SANDBOX_TPP.redirectUri, due.consentId);
      const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
      const consentPage = await signIn(browser, await browser.open(request.url), psu('alice'));
      expect(consentPage.status).toBe(200);
      page = consentPage.body;
      // A forged form naming one more account: a re-confirmation binds none.
      const done = await approve(browser, consentPage, [...boundAccounts, psu('alice').accounts[2]!.accountId]);
      callback = new URL(done.url);
    });

    it('shows a re-confirmation page with the accounts already bound and no account to choose', () => {
      expect(page).toContain('Keep sharing your account information with Sandbox Budgeting App?');
      expect(page).toContain('This is a re-confirmation of access you already gave');
      expect(accountCheckboxes(page)).toEqual([]);
      const shown = [...page.matchAll(/data-account-id="([^"]+)"/g)].map((m) => m[1]);
      expect(shown.sort()).toEqual([...boundAccounts].sort());
    });

    it('redirects to the TPP with a code, and the code gives fresh tokens naming the consent', async () => {
      expect(callback.origin + callback.pathname).toBe(SANDBOX_TPP.redirectUri);
      expect(callback.searchParams.get('state')).toBe(request.state);
      tokens = await client.authorizationCodeGrant(
        config,
        callback,
        { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce },
        undefined,
        { DPoP: client.getDPoPHandle(config, dpopKeys) },
      );
      expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: API_URL, client_id: 'sandbox-tpp', openbanking_intent_id: due.consentId });
      expect(tokens.claims()!.openbanking_intent_id).toBe(due.consentId);
    });

    it('sets reauthenticated_at, binds the new grant and keeps the status and the accounts', async () => {
      const row = await consentRow(due.consentId);
      expect(row.status).toBe('AUTH');
      expect(Math.abs(row.reauthenticated_at!.getTime() - Date.now())).toBeLessThan(60_000);
      expect(row.grant_id).not.toBe(previousGrant);
      const access = (await findConsentAccess(fixture.db.dataSource, due.consentId))!;
      expect(access.accountIds).toEqual([...boundAccounts].sort());
      expect(needsReauthentication(access)).toBe(false);
    });

    it('revokes the previous grant: its refresh token is refused', async () => {
      expect(await query(`SELECT 1 FROM oidc_model WHERE grant_id = $1 OR (model = 'Grant' AND id = $1)`, [previousGrant])).toHaveLength(0);
      await expect(
        client.refreshTokenGrant(config, due.tokens.refresh_token!, undefined, { DPoP: client.getDPoPHandle(config, dpopKeys) }),
      ).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: client.getDPoPHandle(config, dpopKeys) });
      expect(decodeJwt(refreshed.access_token)).toMatchObject({ openbanking_intent_id: due.consentId });
    });

    it('records consent.reauthenticated by the PSU', async () => {
      const [alice] = await query<{ psu_id: string }>(`SELECT psu_id::text FROM psu WHERE username = 'alice'`);
      const events = await query<{ event: Record<string, unknown> }>(
        `SELECT event FROM audit_outbox WHERE event->>'type' = 'consent.reauthenticated' AND event->>'consentId' = $1`,
        [due.consentId],
      );
      expect(events).toHaveLength(1);
      expect(events[0]!.event).toMatchObject({
        actor: { type: 'psu', id: alice!.psu_id },
        clientId: 'sandbox-tpp',
        psuId: alice!.psu_id,
        data: { jurisdiction: 'UK', accountIds: [...boundAccounts].sort(), revokedGrantRecords: expect.any(Number) },
      });
      expect((events[0]!.event.data as { revokedGrantRecords: number }).revokedGrantRecords).toBeGreaterThan(0);
    });

    it('refuses the same consent again now that it is no longer due', async () => {
      const again = await pushAuthorization(config, client.getDPoPHandle(config, dpopKeys), SANDBOX_TPP.redirectUri, due.consentId);
      const back = new URL((await new PsuBrowser(SANDBOX_TPP.redirectUri).open(again.url)).url);
      expect(back.searchParams.get('error_description')).toBe('the requested consent is not awaiting authorisation');
    });
  });
});
