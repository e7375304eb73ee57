import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findConsentAccess } from '@consentry/consents';
import { createSandboxTppKeys, registerTpp, SANDBOX_TPP } from '@consentry/sandbox';
import * as client from 'openid-client';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { formOf, PsuBrowser } from '../support/psu-browser.js';
import { deny, signIn } from '../support/psu-journey.js';
import { newDPoPHandle, pushAuthorization, tppConfiguration } from '../support/tpp-client.js';

describe('authorization journey: the PSU denies, or the request is refused', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('authorize_deny');
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
  });
  afterAll(async () => fixture?.stop());

  const psu = (name: string) => fixture.credentials.psus.find((p) => p.username === name)!;

  it('returns access_denied with state and iss to the TPP and rejects the consent', async () => {
    const consentId = await fixture.createConsent();
    const request = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, consentId);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const consentPage = await signIn(browser, await browser.open(request.url), psu('carol'));
    const back = new URL((await deny(browser, consentPage)).url);
    expect(back.origin + back.pathname).toBe(SANDBOX_TPP.redirectUri);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'the PSU denied the consent',
      state: request.state,
      iss: fixture.server.url,
    });
    const access = await findConsentAccess(fixture.db.dataSource, consentId);
    expect(access?.status).toBe('RJCT');
    expect(access?.accountIds).toEqual([]);
    const events = await fixture.db.dataSource.query(`SELECT 1 FROM audit_outbox WHERE event->>'type' = 'consent.rejected' AND event->>'consentId' = $1`, [consentId]);
    expect(events).toHaveLength(1);
  });

  it('shows the login form again, with a generic message, after a wrong password', async () => {
    const consentId = await fixture.createConsent();
    const request = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, consentId);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const again = await signIn(browser, await browser.open(request.url), psu('alice'), 'not-the-password');
    expect(again.status).toBe(200);
    expect(again.headers.get('cache-control')).toBe('no-store');
    expect(again.body).toContain('The username, password or one-time code is not correct.');
    expect(formOf(again.body, '/login').action).toMatch(/^\/interaction\/[\w-]+\/login$/);
    expect(again.body).toContain('value="alice"');
    const [row] = await fixture.db.dataSource.query(`SELECT failed_login_count FROM psu WHERE username = 'alice'`);
    expect(row.failed_login_count).toBe(1);
    // The PSU corrects the password and continues to the consent page.
    const consentPage = await signIn(browser, again, psu('alice'));
    expect(consentPage.body).toContain('Choose the accounts to share');
  });

  it('answers a sign-in or an approval holding text the database cannot store (U+0000) with a 400 page, the journey still open', async () => {
    const consentId = await fixture.createConsent();
    const request = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, consentId);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const loginPage = await browser.open(request.url);
    // A form carries no unpaired surrogate (the browser's UTF-8 makes it U+FFFD); U+0000 it does.
    const login = formOf(loginPage.body, '/login');
    const refusedLogin = await browser.open(new URL(login.action, loginPage.url), { method: 'POST', form: { csrf: login.csrf, username: 'al\u0000ice', password: 'x', otp: '000000' } });
    expect(refusedLogin.status).toBe(400);
    expect(refusedLogin.body).toContain('The form was not filled in correctly.');
    const consentPage = await signIn(browser, loginPage, psu('alice'));
    const { action, csrf } = formOf(consentPage.body, '/confirm');
    const refused = await browser.open(new URL(action, consentPage.url), { method: 'POST', form: { csrf, accountIds: ['acc\u0000'] } });
    expect(refused.status).toBe(400);
    expect((await findConsentAccess(fixture.db.dataSource, consentId))?.status).toBe('AWAU');
  });

  it('refuses another TPP’s consent without showing the PSU anything', async () => {
    const otherTpp = await createSandboxTppKeys('other-tpp', 'Other App', 'https://other-tpp.localhost/callback');
    await fixture.db.dataSource.transaction((manager) => registerTpp(manager, otherTpp, ['AISP']));
    const other = await fixture.createConsent('other-tpp');
    const request = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, other);
    const back = new URL((await new PsuBrowser(SANDBOX_TPP.redirectUri).open(request.url)).url);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'invalid_request',
      error_description: 'the requested consent does not exist',
      state: request.state,
      iss: fixture.server.url,
    });
    expect((await findConsentAccess(fixture.db.dataSource, other))?.status).toBe('AWAU');
  });

  it('refuses an authorization request that did not go through PAR', async () => {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: SANDBOX_TPP.redirectUri,
      scope: 'openid accounts',
      state: 'xyz',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const page = await new PsuBrowser(SANDBOX_TPP.redirectUri).open(url);
    const back = new URL(page.url);
    expect(back.origin + back.pathname).toBe(SANDBOX_TPP.redirectUri);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toBe('Pushed Authorization Request must be used');
  });

  it('refuses a PAR request naming no consent', async () => {
    const request = await client.buildAuthorizationUrlWithPAR(
      config,
      {
        redirect_uri: SANDBOX_TPP.redirectUri,
        scope: 'openid accounts',
        state: 'abc',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      },
      { DPoP: await newDPoPHandle(config) },
    );
    const back = new URL((await new PsuBrowser(SANDBOX_TPP.redirectUri).open(request)).url);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toBe('the request names no consent: claims openbanking_intent_id is required');
    expect(back.searchParams.get('state')).toBe('abc');
  });

  it('rejects a form post without the CSRF token', async () => {
    const consentId = await fixture.createConsent();
    const request = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, consentId);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const loginPage = await browser.open(request.url);
    const { action } = formOf(loginPage.body, '/login');
    const page = await browser.open(new URL(action, loginPage.url), { method: 'POST', form: { csrf: 'forged', username: 'carol', password: 'x', otp: '123456' } });
    expect(page.status).toBe(403);
    expect(page.body).toContain('This form is no longer valid.');
  });

  it('serves the pages with a strict CSP and no-store', async () => {
    const consentId = await fixture.createConsent();
    const request = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, consentId);
    const loginPage = await new PsuBrowser(SANDBOX_TPP.redirectUri).open(request.url);
    expect(loginPage.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'");
    expect(loginPage.headers.get('cache-control')).toBe('no-store');
    expect(loginPage.headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(loginPage.body).not.toMatch(/<script|style=/);
    for (const id of ['username', 'password', 'otp']) expect(loginPage.body).toContain(`<label for="${id}">`);
  });
});
