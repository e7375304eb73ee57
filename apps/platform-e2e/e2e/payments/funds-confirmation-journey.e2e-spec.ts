import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SandboxCredentials } from '@consentry/sandbox';
import { obSchemaErrors, TestDatabase } from '@consentry/testing';

import { freshTotpCode as freshOtp, TppClient } from '../../../../scripts/journey.js';
import { launchPsuBrowser, PsuBrowser } from '../support/psu-browser.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x5e);
const CBPII = '/open-banking/v4.0/cbpii';

/**
 * Confirmation of funds end to end, with the three apps running from their builds: the CBPII
 * (openid-client) creates a funds-confirmation consent naming alice's account, alice approves it in
 * Chromium on the auth server's page (which shows the account and the expiry), and the CBPII asks with
 * her token whether amounts are covered: a yes or a no, later with a refreshed token (CoF grants get refresh
 * tokens, ending with the consent). A consent naming an account that is not the PSU's is refused; once
 * deleted, the tokens are refused.
 */
describe('funds confirmation journey', () => {
  let platform: TestPlatform;
  let db: TestDatabase;
  let sandbox: SandboxCredentials;
  let tpp: TppClient;
  let browser: PsuBrowser;

  const alice = () => sandbox.psus[0]!;
  const page = () => browser.page;

  beforeAll(async () => {
    platform = await startTestPlatform('cof', { secretsKey: SECRETS_KEY, transactionsPerAccount: 5, seed: 17 });
    ({ db, sandbox, tpp } = platform);
    browser = await launchPsuBrowser(sandbox.tpp.redirect_uris[0]!);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  async function accountOf(username: string): Promise<{ account_id: string; identification: string }> {
    const [row] = await db.dataSource.query(
      `SELECT a.account_id, a.identification FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = $1 AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' ORDER BY a.account_id LIMIT 1`,
      [username],
    );
    return row;
  }

  async function createConsent(identification: string, expiry: string): Promise<string> {
    const cc = await tpp.clientCredentialsToken('fundsconfirmations');
    const body = { Data: { ExpirationDateTime: expiry, DebtorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: identification } } };
    expect(obSchemaErrors('OBFundsConfirmationConsent1', body, 'confirmation-funds')).toEqual([]);
    const created = await tpp.api(cc.access_token, 'POST', `${CBPII}/funds-confirmation-consents`, body);
    expect(created.status).toBe(201);
    expect(obSchemaErrors('OBFundsConfirmationConsentResponse1', created.body, 'confirmation-funds')).toEqual([]);
    return created.body.Data.ConsentId as string;
  }

  async function signIn(url: URL): Promise<void> {
    browser.expectRedirect();
    await page().goto(url.toString());
    await page().getByLabel('Username').fill(alice().username);
    await page().getByLabel('Password').fill(alice().password);
    await page().getByLabel('One-time code').fill(await freshOtp(alice().totpSecret));
    await page().getByRole('button', { name: 'Sign in' }).click();
  }

  function confirmation(consentId: string, amount: string) {
    const body = { Data: { ConsentId: consentId, Reference: 'Basket-42', InstructedAmount: { Amount: amount, Currency: 'GBP' } } };
    expect(obSchemaErrors('OBFundsConfirmation1', body, 'confirmation-funds')).toEqual([]);
    return body;
  }

  it('shows the PSU the account and the expiry, and the CBPII gets yes or no for amounts, until it deletes the consent', async () => {
    const account = await accountOf(alice().username);
    await db.dataSource.query(`UPDATE balance SET amount = 300, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [account.account_id]);
    const consentId = await createConsent(account.identification, '2030-06-30T12:00:00+00:00');
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid fundsconfirmations');
    await signIn(request.url);
    await page().getByRole('heading', { level: 1, name: 'Allow funds checks on your account?' }).waitFor();
    expect(await page().locator('[data-field="debtor-account"]').innerText()).toContain(`ending ${account.identification.slice(-4)}`);
    expect(await page().locator('[data-field="expiry"]').innerText()).toBe('30 June 2030 at 12:00 UTC');
    expect(await page().content()).not.toContain(account.identification);
    await page().getByRole('button', { name: 'Allow' }).click();
    await expect.poll(() => browser.redirected?.searchParams.has('code') ?? false, { timeout: 10_000 }).toBe(true);

    const tokens = await tpp.exchangeCode(browser.redirected!, request);
    expect(JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString())).toMatchObject({ scope: 'fundsconfirmations', openbanking_intent_id: consentId });
    // The CBPII asks whenever the PSU pays with the card, the PSU not at the bank: the grant has a refresh token.
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const [consent] = await db.dataSource.query(`SELECT status, debtor_account_id FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(consent).toEqual({ status: 'AUTH', debtor_account_id: account.account_id });

    const yes = await tpp.api(tokens.access_token, 'POST', `${CBPII}/funds-confirmations`, confirmation(consentId, '299.99'));
    expect(yes.status).toBe(201);
    expect(obSchemaErrors('OBFundsConfirmationResponse1', yes.body, 'confirmation-funds')).toEqual([]);
    expect(yes.body.Data.FundsAvailable).toBe(true);
    const no = await tpp.api(tokens.access_token, 'POST', `${CBPII}/funds-confirmations`, confirmation(consentId, '300.01'));
    expect(no.status).toBe(201);
    expect(no.body.Data.FundsAvailable).toBe(false);
    // Later, the access token long expired: a refreshed one asks again.
    const refreshed = await tpp.refresh(tokens.refresh_token!);
    const later = await tpp.api(refreshed.access_token, 'POST', `${CBPII}/funds-confirmations`, confirmation(consentId, '299.99'));
    expect(later.status).toBe(201);
    expect(later.body.Data.FundsAvailable).toBe(true);

    const cc = await tpp.clientCredentialsToken('fundsconfirmations');
    expect((await tpp.api(cc.access_token, 'DELETE', `${CBPII}/funds-confirmation-consents/${consentId}`)).status).toBe(204);
    // The grant went with the consent: the access token is answered 401 invalid_token (openid-client throws on the challenge).
    await expect(tpp.api(tokens.access_token, 'POST', `${CBPII}/funds-confirmations`, confirmation(consentId, '1.00'))).rejects.toThrow(/WWW-Authenticate/);
    await expect(tpp.api(refreshed.access_token, 'POST', `${CBPII}/funds-confirmations`, confirmation(consentId, '1.00'))).rejects.toThrow(/WWW-Authenticate/);
    await expect(tpp.refresh(tokens.refresh_token!)).rejects.toThrow();
    const [ended] = await db.dataSource.query(`SELECT status, (SELECT count(*)::int FROM oidc_model WHERE grant_id = pc.grant_id OR id = pc.grant_id) AS grant_rows FROM payment_consent pc WHERE consent_id = $1`, [consentId]);
    expect(ended).toEqual({ status: 'CANC', grant_rows: 0 });
  });

  it('ends the refresh token at the consent’s ExpirationDateTime, and a refreshed token asks until then', async () => {
    const account = await accountOf(alice().username);
    // Within the grant's one-year ceiling, so the consent's end is what caps the refresh token.
    const expiry = new Date(Math.floor(Date.now() / 1000) * 1000 + 30 * 86_400_000);
    const consentId = await createConsent(account.identification, expiry.toISOString());
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid fundsconfirmations');
    await signIn(request.url);
    await page().getByRole('heading', { level: 1, name: 'Allow funds checks on your account?' }).waitFor();
    await page().getByRole('button', { name: 'Allow' }).click();
    await expect.poll(() => browser.redirected?.searchParams.has('code') ?? false, { timeout: 10_000 }).toBe(true);

    const tokens = await tpp.exchangeCode(browser.redirected!, request);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const [refreshRow] = await db.dataSource.query(
      `SELECT r.expires_at FROM oidc_model r JOIN payment_consent pc ON pc.grant_id = r.grant_id WHERE r.model = 'RefreshToken' AND pc.consent_id = $1`,
      [consentId],
    );
    // Capped at the consent's end, not merely short: it lives until then.
    expect(new Date(refreshRow.expires_at).getTime()).toBeLessThanOrEqual(expiry.getTime());
    expect(new Date(refreshRow.expires_at).getTime()).toBeGreaterThan(expiry.getTime() - 60_000);

    const refreshed = await tpp.refresh(tokens.refresh_token!);
    const asked = await tpp.api(refreshed.access_token, 'POST', `${CBPII}/funds-confirmations`, confirmation(consentId, '1.00'));
    expect(asked.status).toBe(201);
    expect(obSchemaErrors('OBFundsConfirmationResponse1', asked.body, 'confirmation-funds')).toEqual([]);
  });

  it('refuses a consent naming an account that is not the PSU’s: access_denied, the consent stays AWAU', async () => {
    const bobs = await accountOf('bob');
    const consentId = await createConsent(bobs.identification, '2030-06-30T12:00:00+00:00');
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid fundsconfirmations');
    await signIn(request.url);
    await expect.poll(() => browser.redirected?.searchParams.get('error') ?? null, { timeout: 10_000 }).toBe('access_denied');
    const [consent] = await db.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(consent.status).toBe('AWAU');
  });
});
