import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findConsentAccess } from '@consentry/consents';
import { SANDBOX_TPP, SandboxPsuCredentials } from '@consentry/sandbox';
import { DeregisterTpp, DeregisterTppCommand, SuspendTpp, TppStatusCommand } from '@consentry/tpps';
import * as client from 'openid-client';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { formOf, PageResponse, PsuBrowser } from '../support/psu-browser.js';
import { approve, deny, signIn } from '../support/psu-journey.js';
import { newDPoPHandle, pushAuthorization, PushedAuthorization, tppConfiguration } from '../support/tpp-client.js';

/** Where the PSU landed: must be the TPP's redirect_uri with error, state and iss, nothing else. */
function backAtTpp(page: PageResponse): Record<string, string> {
  const url = new URL(page.url);
  expect(url.origin + url.pathname).toBe(SANDBOX_TPP.redirectUri);
  return Object.fromEntries(url.searchParams);
}

/** A failed sign-in: wrong password and a code that is not the PSU's (no TOTP step is used up). */
function failSignIn(browser: PsuBrowser, page: PageResponse, who: SandboxPsuCredentials): Promise<PageResponse> {
  const { action, csrf } = formOf(page.body, '/login');
  return browser.open(new URL(action, page.url), { method: 'POST', form: { csrf, username: who.username, password: 'wrong-password', otp: '000000' } });
}

describe('every journey that ends without approval returns the PSU to the TPP', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;
  const psu = (name: string): SandboxPsuCredentials => fixture.credentials.psus.find((p) => p.username === name)!;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('journey_endings', { LOGIN_IP_MAX_FAILURES: '7' });
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
  });
  afterAll(async () => fixture?.stop());

  async function start(): Promise<{ browser: PsuBrowser; request: PushedAuthorization; loginPage: PageResponse; consentId: string }> {
    const consentId = await fixture.createConsent();
    const request = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, consentId);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    return { browser, request, loginPage: await browser.open(request.url), consentId };
  }

  it('Cancel on the sign-in page: access_denied, the consent stays AWAU', async () => {
    const { browser, request, loginPage, consentId } = await start();
    const { action, csrf } = formOf(loginPage.body, '/abort');
    const page = await browser.open(new URL(action, loginPage.url), { method: 'POST', form: { csrf } });
    expect(backAtTpp(page)).toEqual({ error: 'access_denied', error_description: 'the PSU cancelled the authorization', state: request.state, iss: fixture.server.url });
    expect((await findConsentAccess(fixture.db.dataSource, consentId))?.status).toBe('AWAU');
  });

  it('5 minutes without activity: login_required', async () => {
    const { browser, request, loginPage } = await start();
    // The last activity is stored as exp - 3600 (interaction-activity.ts): make it 301 s ago.
    await fixture.db.dataSource.query(
      `UPDATE oidc_model SET payload = jsonb_set(payload, '{exp}', to_jsonb(floor(extract(epoch FROM now()))::bigint + 3600 - 301))
        WHERE model = 'Interaction' AND id = $1`,
      [new URL(loginPage.url).pathname.split('/').pop()],
    );
    const page = await signIn(browser, loginPage, psu('alice'));
    expect(backAtTpp(page)).toEqual({
      error: 'login_required',
      error_description: 'the authorization timed out: the PSU was inactive too long',
      state: request.state,
      iss: fixture.server.url,
    });
  });

  it('5 minutes without activity on the consent page: Deny decides nothing either, login_required and the consent stays AWAU', async () => {
    const { browser, request, loginPage, consentId } = await start();
    const consentPage = await signIn(browser, loginPage, psu('alice'));
    expect(formOf(consentPage.body, '/abort').csrf).toEqual(expect.any(String));
    await fixture.db.dataSource.query(
      `UPDATE oidc_model SET payload = jsonb_set(payload, '{exp}', to_jsonb(floor(extract(epoch FROM now()))::bigint + 3600 - 301))
        WHERE model = 'Interaction' AND id = $1`,
      [new URL(consentPage.url).pathname.split('/').pop()],
    );
    // Until 8 December 2026 an idle Deny rejected the consent (RJCT) and told the TPP access_denied.
    const page = await deny(browser, consentPage);
    expect(backAtTpp(page)).toEqual({
      error: 'login_required',
      error_description: 'the authorization timed out: the PSU was inactive too long',
      state: request.state,
      iss: fixture.server.url,
    });
    expect((await findConsentAccess(fixture.db.dataSource, consentId))?.status).toBe('AWAU');
  });

  it('locks the PSU at the 5th failure and refuses the 6th attempt, both back at the TPP with access_denied', async () => {
    const bob = psu('bob');
    const { browser, request, loginPage } = await start();
    let page = loginPage;
    for (let attempt = 1; attempt <= 4; attempt++) {
      page = await failSignIn(browser, page, bob);
      expect(page.status).toBe(200);
      expect(page.body).toContain('The username, password or one-time code is not correct.');
    }
    const fifth = await failSignIn(browser, page, bob);
    expect(backAtTpp(fifth)).toEqual({
      error: 'access_denied',
      error_description: 'the PSU cannot sign in now: too many failed attempts',
      state: request.state,
      iss: fixture.server.url,
    });
    // PCI DSS 8.3.4: locked for at least 30 minutes (LOGIN_LOCKOUT_SECONDS, 1800 by default).
    const [row] = await fixture.db.dataSource.query(`SELECT locked_until FROM psu WHERE username = 'bob'`);
    expect((row.locked_until as Date).getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);

    // The 6th attempt, with the right password and code, is refused while locked.
    const next = await start();
    const sixth = await signIn(next.browser, next.loginPage, bob);
    expect(backAtTpp(sixth)).toEqual({
      error: 'access_denied',
      error_description: 'the PSU cannot sign in now: too many failed attempts',
      state: next.request.state,
      iss: fixture.server.url,
    });
    const locked = await fixture.db.dataSource.query(`SELECT 1 FROM audit_outbox WHERE event->>'type' = 'psu.locked'`);
    expect(locked).toHaveLength(1);
  });

  it('throttles sign-in per client IP, before any PSU’s counter is touched', async () => {
    // 6 failures so far from this IP (bob's 5 and the locked 6th); the 7th reaches the limit.
    const { browser, loginPage } = await start();
    const seventh = await failSignIn(browser, loginPage, psu('carol'));
    expect(seventh.status).toBe(200);
    const throttled = await signIn(browser, seventh, psu('carol'));
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(throttled.body).toContain('Too many failed sign-in attempts from your network.');
    const [carol] = await fixture.db.dataSource.query(`SELECT failed_login_count FROM psu WHERE username = 'carol'`);
    expect(carol.failed_login_count).toBe(1);
    await fixture.db.dataSource.query(`DELETE FROM login_throttle`);
  });

  it('an unknown username gets the same pages, and after as many failures the same access_denied at the TPP', async () => {
    const nobody: SandboxPsuCredentials = { ...psu('alice'), username: 'nobody-by-this-name' };
    const bobs = await start();
    const nobodys = await start();
    let nobodyPage = nobodys.loginPage;
    // bob is still locked from the test above: his journey ends at once; nobody's after 5 failures.
    const bobEnds = await failSignIn(bobs.browser, bobs.loginPage, psu('bob'));
    for (let attempt = 1; attempt <= 4; attempt++) {
      nobodyPage = await failSignIn(nobodys.browser, nobodyPage, nobody);
      expect(nobodyPage.status).toBe(200);
      expect(nobodyPage.body).toContain('The username, password or one-time code is not correct.');
    }
    const nobodyEnds = await failSignIn(nobodys.browser, nobodyPage, nobody);
    const ending = { error: 'access_denied', error_description: 'the PSU cannot sign in now: too many failed attempts', iss: fixture.server.url };
    expect(backAtTpp(bobEnds)).toEqual({ ...ending, state: bobs.request.state });
    expect(backAtTpp(nobodyEnds)).toEqual({ ...ending, state: nobodys.request.state });

    // The next journey of the unknown username ends the same way as a locked PSU's.
    const again = await start();
    const refused = await failSignIn(again.browser, again.loginPage, nobody);
    expect(backAtTpp(refused)).toEqual({ ...ending, state: again.request.state });
    await fixture.db.dataSource.query(`DELETE FROM login_throttle`);
  });

  it('a TPP suspended, or deregistered, while the PSU is on the consent page: Approve authorises nothing and keeps no grant', async () => {
    const clientId = fixture.credentials.tpp.client_id;
    const endings = {
      suspended: () => new SuspendTpp(fixture.db.dataSource).execute(new TppStatusCommand({ clientId, adminId: 'journey-endings', interactionId: randomUUID(), reason: 'Licence withdrawn' })),
      deregistered: () => new DeregisterTpp(fixture.db.dataSource).execute(new DeregisterTppCommand({ clientId, interactionId: randomUUID() })),
    };
    for (const [ending, end] of Object.entries(endings)) {
      const { browser, loginPage, consentId } = await start();
      const consentPage = await signIn(browser, loginPage, psu('alice'));
      expect(consentPage.body, ending).toContain('/confirm');
      await end();
      try {
        // Until 7 December 2026 the consent became AUTH and its grant was kept (a year, when deregistered) for a TPP refused everything else.
        const page = await approve(browser, consentPage, [psu('alice').accounts[0]!.accountId]);
        expect(new URL(page.url).searchParams.get('code'), ending).toBeNull();
        const consent = await findConsentAccess(fixture.db.dataSource, consentId);
        expect({ status: consent?.status, grantId: consent?.grantId ?? null }, ending).toEqual({ status: 'AWAU', grantId: null });
        const grants: unknown[] = await fixture.db.dataSource.query(`SELECT 1 FROM oidc_model WHERE model = 'Grant' AND payload->>'clientId' = $1`, [clientId]);
        expect(grants, ending).toEqual([]);
      } finally {
        await fixture.db.dataSource.query(`UPDATE tpp SET status = 'Active' WHERE client_id = $1`, [clientId]);
      }
    }
  });

  it('a consent left AWAU longer than CONSENT_AWAITING_MAX_AGE_SECONDS: refused at the start, and at Approve if it aged on the page', async () => {
    const age = (consentId: string) =>
      fixture.db.dataSource.query(`UPDATE account_access_consent SET creation_date_time = now() - interval '3600 seconds' WHERE consent_id = $1`, [consentId]);
    const staleId = await fixture.createConsent();
    await age(staleId);
    const stale = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, staleId);
    const refused = await new PsuBrowser(SANDBOX_TPP.redirectUri).open(stale.url);
    expect(backAtTpp(refused)).toMatchObject({ error: 'invalid_request', error_description: 'the requested consent has expired', state: stale.state });

    // Until 7 December 2026 it was approved, with a grant, until the worker's sweep (a minute, or longer with no worker) ended it.
    const { browser, loginPage, consentId } = await start();
    const consentPage = await signIn(browser, loginPage, psu('alice'));
    expect(consentPage.body).toContain('/confirm');
    await age(consentId);
    const page = await approve(browser, consentPage, [psu('alice').accounts[0]!.accountId]);
    expect(new URL(page.url).searchParams.get('code')).toBeNull();
    const consent = await findConsentAccess(fixture.db.dataSource, consentId);
    expect({ status: consent?.status, grantId: consent?.grantId ?? null }).toEqual({ status: 'AWAU', grantId: null });
  });

  it('a server error mid-journey: server_error, never a captive error page', async () => {
    const { browser, request, loginPage } = await start();
    // The consent page cannot be built without the banks table.
    await fixture.db.dataSource.query(`ALTER TABLE aspsp RENAME TO aspsp_unavailable`);
    try {
      const page = await signIn(browser, loginPage, psu('alice'));
      expect(backAtTpp(page)).toEqual({
        error: 'server_error',
        error_description: 'the authorization server could not complete the request',
        state: request.state,
        iss: fixture.server.url,
      });
    } finally {
      await fixture.db.dataSource.query(`ALTER TABLE aspsp_unavailable RENAME TO aspsp`);
    }
  });
});
