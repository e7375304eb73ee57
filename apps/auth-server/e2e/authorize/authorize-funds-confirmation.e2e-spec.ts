import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CreatePaymentConsent } from '@consentry/consents';
import { SANDBOX_TPP, SandboxPsuCredentials } from '@consentry/sandbox';
import * as client from 'openid-client';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { PageResponse, PsuBrowser } from '../support/psu-browser.js';
import { approve, signIn } from '../support/psu-journey.js';
import { newDPoPHandle, pushAuthorization, PushedAuthorization, tppConfiguration } from '../support/tpp-client.js';

interface Account {
  account_id: string;
  identification: string;
}

/**
 * The PSU's approval of a funds-confirmation consent (CBPII, PSD2 Art. 65) at the auth server: asked
 * with the fundsconfirmations scope, the page shows the named account (last four digits) and the expiry,
 * and approval binds exactly that account; an account that is not the PSU's ends the journey.
 */
describe('authorising a funds-confirmation consent', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;
  const psu = (name: string): SandboxPsuCredentials => fixture.credentials.psus.find((p) => p.username === name)!;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('authorize_cof');
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
  });
  afterAll(async () => fixture?.stop());

  async function accountsOf(username: string): Promise<Account[]> {
    return fixture.db.dataSource.query(
      `SELECT a.account_id, a.identification FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = $1 AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' AND a.status = 'Enabled' ORDER BY a.account_id`,
      [username],
    );
  }

  async function createConsent(account: Account): Promise<string> {
    const consent = await new CreatePaymentConsent(fixture.db.dataSource).execute({
      clientId: SANDBOX_TPP.clientId,
      kind: 'funds-confirmation',
      initiation: { DebtorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: account.identification } },
      risk: {},
      expirationDateTime: new Date('2031-03-01T09:30:00Z'),
    });
    return consent.consentId;
  }

  async function start(consentId: string, scope = 'openid fundsconfirmations'): Promise<{ browser: PsuBrowser; request: PushedAuthorization; page: PageResponse }> {
    const request = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, consentId, scope);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    return { browser, request, page: await browser.open(request.url) };
  }

  function backAtTpp(page: PageResponse): Record<string, string> {
    const url = new URL(page.url);
    expect(url.origin + url.pathname).toBe(SANDBOX_TPP.redirectUri);
    return Object.fromEntries(url.searchParams);
  }

  async function consentRow(consentId: string): Promise<{ status: string; debtor_account_id: string | null; grant_id: string | null }> {
    const [row] = await fixture.db.dataSource.query(`SELECT status, debtor_account_id, grant_id FROM payment_consent WHERE consent_id = $1`, [consentId]);
    return row;
  }

  it('shows the named account and the expiry, and approval binds that account with a grant', async () => {
    const [account] = await accountsOf('alice');
    const consentId = await createConsent(account!);
    const { browser, page: loginPage } = await start(consentId);
    const page = await signIn(browser, loginPage, psu('alice'));
    expect(page.status).toBe(200);
    expect(page.body).toContain('Allow funds checks on your account?');
    expect(page.body).toContain(`ending ${account!.identification.slice(-4)}`);
    expect(page.body).toContain('1 March 2031 at 09:30 UTC');
    expect(page.body).not.toContain(account!.identification);
    const back = backAtTpp(await approve(browser, page, [account!.account_id]));
    expect(back.code).toBeDefined();
    const row = await consentRow(consentId);
    expect(row).toMatchObject({ status: 'AUTH', debtor_account_id: account!.account_id });
    // The grant lasts as long as the consent, not the hour of a one-off payment.
    const [grant] = await fixture.db.dataSource.query(`SELECT expires_at FROM oidc_model WHERE model = 'Grant' AND id = $1`, [row.grant_id]);
    expect(new Date(grant.expires_at).getTime()).toBeGreaterThan(Date.now() + 365 * 24 * 3600 * 1000 - 60_000);
  });

  it('ends the journey when the posted account is another than the consent names', async () => {
    const [named] = await accountsOf('alice');
    const [other]: Account[] = await fixture.db.dataSource.query(
      `SELECT a.account_id, a.identification FROM account a JOIN psu p ON p.psu_id = a.psu_id WHERE p.username = 'alice' AND a.account_id <> $1 LIMIT 1`,
      [named!.account_id],
    );
    const consentId = await createConsent(named!);
    const { browser, page: loginPage } = await start(consentId);
    const page = await signIn(browser, loginPage, psu('alice'));
    const back = backAtTpp(await approve(browser, page, [other!.account_id]));
    expect(back.error).toBe('invalid_request');
    expect(await consentRow(consentId)).toMatchObject({ status: 'AWAU', debtor_account_id: null, grant_id: null });
  });

  it('refuses a consent naming an account that is not the PSU’s: access_denied, the consent stays AWAU', async () => {
    const [bobs] = await accountsOf('bob');
    const consentId = await createConsent(bobs!);
    const { browser, request, page: loginPage } = await start(consentId);
    const back = backAtTpp(await signIn(browser, loginPage, psu('alice')));
    expect(back).toEqual({ error: 'access_denied', error_description: 'the consent names an account that is not the PSU’s', state: request.state, iss: fixture.server.url });
    expect((await consentRow(consentId)).status).toBe('AWAU');
  });

  it('refuses to start when asked with the payments scope', async () => {
    const [account] = await accountsOf('alice');
    const consentId = await createConsent(account!);
    const { request, page } = await start(consentId, 'openid payments');
    expect(backAtTpp(page)).toEqual({
      error: 'invalid_scope',
      error_description: 'a funds-confirmation consent is authorised with the fundsconfirmations scope alone',
      state: request.state,
      iss: fixture.server.url,
    });
  });
});
