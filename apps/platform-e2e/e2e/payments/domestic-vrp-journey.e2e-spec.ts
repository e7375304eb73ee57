import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BrowserContext, chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SandboxCredentials } from '@consentry/sandbox';
import { obSchemaErrors, TestDatabase } from '@consentry/testing';

import { freshTotpCode as freshOtp, TppClient } from '../../../../scripts/journey.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x5e);
const PISP = '/open-banking/v4.0/pisp';

/**
 * A VRP consent end to end, with the three apps running from their builds: the TPP (openid-client)
 * stages a VRP consent, the PSU sees its control parameters and the payee on the auth server's page in
 * Chromium and picks the account; the TPP makes several VRPs with the PSU's token, refreshes it (VRP
 * grants get refresh tokens, ending with the consent), is refused past a limit (U014), and nothing more
 * once the PSU revokes the consent.
 */
describe('domestic VRP journey', () => {
  let platform: TestPlatform;
  let db: TestDatabase;
  let sandbox: SandboxCredentials;
  let tpp: TppClient;
  let profileDir: string;
  let browser: BrowserContext;
  let page: Page;
  let redirected: URL | undefined;
  let payee: { SchemeName: string; Identification: string; Name: string };

  const alice = () => sandbox.psus[0]!;

  beforeAll(async () => {
    profileDir = await mkdtemp(join(tmpdir(), 'consentry-chromium-'));
    const [started, context] = await Promise.all([
      startTestPlatform('vrp', { secretsKey: SECRETS_KEY, transactionsPerAccount: 5, seed: 17 }),
      chromium.launchPersistentContext(profileDir, {
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      }),
    ]);
    platform = started;
    ({ db, sandbox, tpp } = platform);
    browser = context;
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(10_000);
    // The TPP's redirect_uri is not a real site: the browser hands the redirect back to the test.
    await browser.route(`${new URL(sandbox.tpp.redirect_uris[0]!).origin}/**`, async (route) => {
      redirected = new URL(route.request().url());
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the TPP' });
    });
    const [bob] = await db.dataSource.query(
      `SELECT a.identification FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = 'bob' AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' LIMIT 1`,
    );
    payee = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: bob.identification, Name: 'Bob’s Gym' };
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  it('shows the control parameters and payee, binds the approval to them, and runs VRPs until the PSU revokes', async () => {
    const validTo = new Date(Date.now() + 30 * 86_400_000);
    const controlParameters = {
      VRPType: ['UK.OBIE.VRPType.Other'],
      PSUAuthenticationMethods: ['UK.OBIE.SCA'],
      ValidToDateTime: validTo.toISOString(),
      MaximumIndividualAmount: { Amount: '40.00', Currency: 'GBP' },
      PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '100.00', Currency: 'GBP' }],
    };
    const cc = await tpp.clientCredentialsToken('payments');
    const created = await tpp.signedPost(cc.access_token, `${PISP}/domestic-vrp-consents`, {
      Data: { ControlParameters: controlParameters, Initiation: { CreditorAccount: payee } },
      Risk: {},
    });
    expect(created.status).toBe(201);
    expect(obSchemaErrors('OBDomesticVRPConsentResponse', created.body, 'vrp')).toEqual([]);
    const consentId = created.body.Data.ConsentId as string;

    const request = await tpp.pushAuthorizationRequest(consentId, 'openid payments');
    redirected = undefined;
    await page.goto(request.url.toString());
    await page.getByLabel('Username').fill(alice().username);
    await page.getByLabel('Password').fill(alice().password);
    await page.getByLabel('One-time code').fill(await freshOtp(alice().totpSecret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Approve these recurring payments?' }).waitFor();

    expect(await page.locator('[data-field="maximum-individual-amount"]').innerText()).toBe('40.00 GBP');
    expect(await page.locator('[data-field="periodic-limit"]').allInnerTexts()).toEqual(['100.00 GBP per calendar month']);
    expect(await page.locator('[data-field="vrp-type"]').allInnerTexts()).toEqual(['Payments to someone else']);
    expect(await page.locator('[data-field="payee-name"]').innerText()).toBe('Bob’s Gym');
    expect(await page.locator('[data-field="valid-to"]').innerText()).toContain(String(validTo.getUTCFullYear()));
    const offered = await page.locator('input[type="radio"][name="accountIds"]').evaluateAll((inputs) => inputs.map((i) => (i as unknown as { value: string }).value));
    expect(offered.length).toBeGreaterThan(0);
    const debtor = offered[0]!;
    await db.dataSource.query(`UPDATE balance SET amount = 1000, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [debtor]);
    await page.locator(`input[name="accountIds"][value="${debtor}"]`).check();
    await page.getByRole('button', { name: 'Approve payments' }).click();
    await expect.poll(() => redirected?.searchParams.has('code') ?? false, { timeout: 10_000 }).toBe(true);

    const tokens = await tpp.exchangeCode(redirected!, request);
    // VRPs are made without the PSU present: the grant has a refresh token, which ends with the consent.
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const [consent] = await db.dataSource.query(`SELECT status, debtor_account_id, initiation_hash, grant_id FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(consent).toMatchObject({ status: 'AUTH', debtor_account_id: debtor });
    // The approval's seal: a keyed MAC under the secrets keyring's first key (PaymentApprovalSeal).
    expect(consent.initiation_hash).toMatch(/^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{43}$/);
    const [refreshRow] = await db.dataSource.query(`SELECT expires_at FROM oidc_model WHERE model = 'RefreshToken' AND grant_id = $1`, [consent.grant_id]);
    expect(new Date(refreshRow.expires_at).getTime()).toBeLessThanOrEqual(validTo.getTime() + 1000);

    const vrp = (amount: string, reference: string) => ({
      Data: {
        ConsentId: consentId,
        PSUAuthenticationMethod: 'UK.OBIE.SCANotRequired',
        VRPType: 'UK.OBIE.VRPType.Other',
        Initiation: { CreditorAccount: payee },
        Instruction: { InstructionIdentification: `I-${reference}`, EndToEndIdentification: reference, InstructedAmount: { Amount: amount, Currency: 'GBP' }, CreditorAccount: payee },
      },
      Risk: {},
    });
    let accessToken = tokens.access_token;
    for (const [i, amount] of ['40.00', '30.00'].entries()) {
      const paid = await tpp.signedPost(accessToken, `${PISP}/domestic-vrps`, vrp(amount, `GYM-${i}`));
      expect(paid.status).toBe(201);
      expect(obSchemaErrors('OBDomesticVRPResponse', paid.body, 'vrp')).toEqual([]);
      expect(paid.body.Data.Status).toBe('ACSP');
    }
    // Later, the PSU away: a refreshed token makes the next VRP.
    accessToken = (await tpp.refresh(tokens.refresh_token!)).access_token;
    expect((await tpp.signedPost(accessToken, `${PISP}/domestic-vrps`, vrp('30.00', 'GYM-2'))).status).toBe(201);
    const breach = await tpp.signedPost(accessToken, `${PISP}/domestic-vrps`, vrp('0.01', 'GYM-3'));
    expect(breach.status).toBe(400);
    expect(breach.body.Errors[0].ErrorCode).toBe('U014');
    const [balance] = await db.dataSource.query(`SELECT amount::text FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [debtor]);
    expect(balance.amount).toBe('900.00000');

    // The PSU revokes the consent from the customer API (the dashboard's): the next VRP is refused.
    const signIn = await fetch(`${platform.env.API_URL}/customer/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: alice().username, password: alice().password, otp: await freshOtp(alice().totpSecret) }),
    });
    expect(signIn.status).toBe(201);
    const { accessToken: session } = (await signIn.json()) as { accessToken: string };
    const revoked = await fetch(`${platform.env.API_URL}/customer/consents/${consentId}`, { method: 'DELETE', headers: { authorization: `Bearer ${session}` } });
    expect(revoked.status).toBe(204);
    // The grant went with the consent: the access token is answered 401 invalid_token (openid-client throws on the challenge).
    await expect(tpp.signedPost(accessToken, `${PISP}/domestic-vrps`, vrp('1.00', 'GYM-4'))).rejects.toThrow(/WWW-Authenticate/);
    await expect(tpp.refresh(tokens.refresh_token!)).rejects.toThrow();
    const read = await tpp.api(cc.access_token, 'GET', `${PISP}/domestic-vrp-consents/${consentId}`);
    expect(read.body.Data.Status).toBe('CANC');
  });
});
