import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as oidc from 'openid-client';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SandboxCredentials } from '@consentry/sandbox';
import { obSchemaErrors, TestDatabase } from '@consentry/testing';

import { freshTotpCode as freshOtp, TppClient } from '../../../../scripts/journey.js';
import { ROOT } from '../../../../scripts/platform.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x5d);
const PISP = '/open-banking/v4.0/pisp';
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

/**
 * A domestic payment end to end, with the three apps running from their builds: the TPP (openid-client)
 * stages the payment, the PSU approves it in Chromium on the auth server's page, which shows the
 * amount, the currency and the payee and lets the PSU pick the account; the TPP pays with the PSU's
 * token, once. A denied payment ends RJCT.
 */
describe('domestic payment journey', () => {
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
    await mkdir(SCREENSHOTS, { recursive: true });
    const [started, context] = await Promise.all([
      startTestPlatform('payments', { secretsKey: SECRETS_KEY, transactionsPerAccount: 5, seed: 13 }),
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
    payee = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: bob.identification, Name: 'Bob’s Bikes' };
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  function initiation(reference: string) {
    return {
      InstructionIdentification: `I-${reference}`,
      EndToEndIdentification: reference,
      InstructedAmount: { Amount: '1234.5', Currency: 'GBP' },
      CreditorAccount: payee,
    };
  }

  async function stagePayment(reference: string): Promise<string> {
    const cc = await tpp.clientCredentialsToken('payments');
    const created = await tpp.signedPost(cc.access_token, `${PISP}/domestic-payment-consents`, { Data: { Initiation: initiation(reference) }, Risk: {} });
    expect(created.status).toBe(201);
    expect(obSchemaErrors('OBWriteDomesticConsentResponse5', created.body, 'payment-initiation')).toEqual([]);
    return created.body.Data.ConsentId as string;
  }

  /** The redirect back to the TPP is a navigation of its own: let it finish, or the next goto races it. */
  async function backAtTpp(): Promise<void> {
    await page.waitForURL((url) => url.origin === new URL(sandbox.tpp.redirect_uris[0]!).origin, { waitUntil: 'load' });
  }

  async function signIn(url: URL, heading = 'Approve this payment?'): Promise<void> {
    redirected = undefined;
    await page.goto(url.toString());
    expect(await page.locator('main p').first().innerText()).toContain('is asking you to approve a payment');
    await page.getByLabel('Username').fill(alice().username);
    await page.getByLabel('Password').fill(alice().password);
    await page.getByLabel('One-time code').fill(await freshOtp(alice().totpSecret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  it('shows the PSU the amount, currency and payee, lets them pick the account, and the TPP pays once', async () => {
    const consentId = await stagePayment('JOURNEY-1');
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid payments');
    await signIn(request.url);

    expect(await page.locator('[data-field="amount"]').innerText()).toBe('1,234.50 GBP');
    expect(await page.locator('[data-field="payee-name"]').innerText()).toBe('Bob’s Bikes');
    const id = payee.Identification;
    expect(await page.locator('[data-field="payee-account"]').innerText()).toBe(`${id.slice(0, 2)}-${id.slice(2, 4)}-${id.slice(4, 6)} ${id.slice(6)}`);
    expect(await page.locator('[data-field="reference"]').innerText()).toBe('JOURNEY-1');
    // Only alice's GBP accounts that can pay are offered (no card, no EUR account).
    const gbp: Array<{ account_id: string }> = await db.dataSource.query(
      `SELECT a.account_id FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = $1 AND a.currency = 'GBP' AND a.scheme_name <> 'UK.OBIE.PAN' AND a.status = 'Enabled'`,
      [alice().username],
    );
    const offered = await page.locator('input[type="radio"][name="accountIds"]').evaluateAll((inputs) => inputs.map((i) => (i as unknown as { value: string }).value));
    expect(offered.sort()).toEqual(gbp.map((r) => r.account_id).sort());
    const debtor = offered[0]!;
    await db.dataSource.query(`UPDATE balance SET amount = 5000, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [debtor]);
    await page.locator(`input[name="accountIds"][value="${debtor}"]`).check();
    await page.screenshot({ path: join(SCREENSHOTS, 'payment-approval.png'), fullPage: true });
    await page.getByRole('button', { name: 'Approve payment' }).click();
    await expect.poll(() => redirected?.searchParams.has('code') ?? false, { timeout: 10_000 }).toBe(true);
    await backAtTpp();

    const tokens = await tpp.exchangeCode(redirected!, request);
    // PSD2 Art. 66 is one-off: no refresh token for a domestic payment grant.
    expect(tokens.refresh_token).toBeUndefined();
    expect(JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString())).toMatchObject({ scope: 'payments', openbanking_intent_id: consentId });

    const [consent] = await db.dataSource.query(`SELECT status, debtor_account_id, initiation_hash FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(consent).toMatchObject({ status: 'AUTH', debtor_account_id: debtor });
    // The approval's seal: a keyed MAC under the secrets keyring's first key (PaymentApprovalSeal).
    expect(consent.initiation_hash).toMatch(/^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{43}$/);

    // Introspection knows payment consents: active while the consent is AUTH, with its intent id.
    expect(await oidc.tokenIntrospection(tpp.config, tokens.access_token)).toMatchObject({ active: true, openbanking_intent_id: consentId, scope: 'payments' });

    const funds = await tpp.api(tokens.access_token, 'GET', `${PISP}/domestic-payment-consents/${consentId}/funds-confirmation`);
    expect(funds.status).toBe(200);
    expect(funds.body.Data.FundsAvailableResult.FundsAvailable).toBe(true);

    const order = { Data: { ConsentId: consentId, Initiation: initiation('JOURNEY-1') }, Risk: {} };
    const paid = await tpp.signedPost(tokens.access_token, `${PISP}/domestic-payments`, order);
    expect(paid.status).toBe(201);
    expect(obSchemaErrors('OBWriteDomesticResponse5', paid.body, 'payment-initiation')).toEqual([]);
    expect(paid.body.Data.Status).toBe('ACSP');
    const [balance] = await db.dataSource.query(`SELECT amount::text FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [debtor]);
    expect(balance.amount).toBe('3765.50000');

    const again = await tpp.signedPost(tokens.access_token, `${PISP}/domestic-payments`, order);
    expect(again.status).toBe(400);
    expect(again.body.Errors[0].ErrorCode).toBe('U009');
    // Consumed (COND): the token has nothing left to do.
    expect(await oidc.tokenIntrospection(tpp.config, tokens.access_token)).toEqual({ active: false });
  });

  it('ends a denied payment consent RJCT and sends the TPP access_denied', async () => {
    const consentId = await stagePayment('JOURNEY-2');
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid payments');
    await signIn(request.url);
    await page.getByRole('button', { name: 'Deny' }).click();
    await expect.poll(() => redirected?.searchParams.get('error') ?? null, { timeout: 10_000 }).toBe('access_denied');
    await backAtTpp();
    const cc = await tpp.clientCredentialsToken('payments');
    const read = await tpp.api(cc.access_token, 'GET', `${PISP}/domestic-payment-consents/${consentId}`);
    expect(read.body.Data.Status).toBe('RJCT');
  });

  it('shows a scheduled payment\'s date on the approval page and binds it; the order waits PDNG for that date', async () => {
    const cc = await tpp.clientCredentialsToken('payments');
    // 09:00 London time, three days ahead (December: GMT).
    const on = new Date(Date.now() + 3 * 86_400_000);
    on.setUTCHours(9, 0, 0, 0);
    const scheduled = { ...initiation('JOURNEY-4'), RequestedExecutionDateTime: on.toISOString().replace(/\.\d{3}Z$/, '+00:00') };
    const created = await tpp.signedPost(cc.access_token, `${PISP}/domestic-scheduled-payment-consents`, { Data: { Permission: 'Create', Initiation: scheduled }, Risk: {} });
    expect(created.status).toBe(201);
    expect(obSchemaErrors('OBWriteDomesticScheduledConsentResponse5', created.body, 'payment-initiation')).toEqual([]);
    const consentId = created.body.Data.ConsentId as string;
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid payments');
    await signIn(request.url);
    expect(await page.locator('[data-field="amount"]').innerText()).toBe('1,234.50 GBP');
    const shown = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', dateStyle: 'long', timeStyle: 'short' }).format(on);
    expect(await page.locator('[data-field="execution-date"]').innerText()).toBe(shown);
    await page.locator('input[name="accountIds"]').first().check();
    await page.screenshot({ path: join(SCREENSHOTS, 'scheduled-payment-approval.png'), fullPage: true });
    await page.getByRole('button', { name: 'Approve payment' }).click();
    await expect.poll(() => redirected?.searchParams.has('code') ?? false, { timeout: 10_000 }).toBe(true);
    await backAtTpp();
    const tokens = await tpp.exchangeCode(redirected!, request);
    expect(tokens.refresh_token).toBeUndefined();

    // Another date than the one approved is not this consent's payment.
    const moved = { ...scheduled, RequestedExecutionDateTime: new Date(on.getTime() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, '+00:00') };
    const refused = await tpp.signedPost(tokens.access_token, `${PISP}/domestic-scheduled-payments`, { Data: { ConsentId: consentId, Initiation: moved }, Risk: {} });
    expect(refused.status).toBe(400);
    expect(refused.body.Errors[0].ErrorCode).toBe('U008');
    const placed = await tpp.signedPost(tokens.access_token, `${PISP}/domestic-scheduled-payments`, { Data: { ConsentId: consentId, Initiation: scheduled }, Risk: {} });
    expect(placed.status).toBe(201);
    expect(obSchemaErrors('OBWriteDomesticScheduledResponse5', placed.body, 'payment-initiation')).toEqual([]);
    expect(placed.body.Data.Status).toBe('PDNG');
  }, 120_000);

  it('words a standing order\'s frequency, every amount and its end on the approval page, in London time; the TPP sets it up once', async () => {
    const cc = await tpp.clientCredentialsToken('payments');
    // 09:00 London on 1 July 2049 (summer time: 08:00Z), then 5.00 GBP every month, the last of 4 payments 1.00 GBP.
    const standingOrder = {
      NumberOfPayments: '4',
      FirstPaymentAmount: { Amount: '10', Currency: 'GBP' },
      RecurringPaymentAmount: { Amount: '5.00', Currency: 'GBP' },
      FinalPaymentAmount: { Amount: '1.00', Currency: 'GBP' },
      CreditorAccount: payee,
      MandateRelatedInformation: { Frequency: { Type: 'MNTH' }, FirstPaymentDateTime: '2049-07-01T08:00:00+00:00' },
    };
    const created = await tpp.signedPost(cc.access_token, `${PISP}/domestic-standing-order-consents`, { Data: { Permission: 'Create', Initiation: standingOrder }, Risk: {} });
    expect(created.status).toBe(201);
    expect(obSchemaErrors('OBWriteDomesticStandingOrderConsentResponse6', created.body, 'payment-initiation')).toEqual([]);
    const consentId = created.body.Data.ConsentId as string;
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid payments');
    await signIn(request.url, 'Approve this standing order?');
    const field = (name: string) => page.locator(`[data-field="${name}"]`).innerText();
    expect(await field('frequency')).toBe('Every month');
    expect(await field('first-payment')).toBe('10.00 GBP on 1 July 2049 at 09:00');
    expect(await field('recurring-payment')).toBe('5.00 GBP each time');
    expect(await field('final-payment')).toBe('1.00 GBP');
    expect(await field('ends')).toBe('After 4 payments');
    expect(await field('payee-name')).toBe('Bob’s Bikes');
    expect(await page.locator('[data-field="amount"]').count()).toBe(0);
    await page.locator('input[name="accountIds"]').first().check();
    await page.screenshot({ path: join(SCREENSHOTS, 'standing-order-approval.png'), fullPage: true });
    await page.getByRole('button', { name: 'Approve payment' }).click();
    await expect.poll(() => redirected?.searchParams.has('code') ?? false, { timeout: 10_000 }).toBe(true);
    await backAtTpp();
    const tokens = await tpp.exchangeCode(redirected!, request);
    // The order runs in the bank, not through the TPP's token: no refresh token.
    expect(tokens.refresh_token).toBeUndefined();

    const order = { Data: { ConsentId: consentId, Initiation: standingOrder }, Risk: {} };
    const placed = await tpp.signedPost(tokens.access_token, `${PISP}/domestic-standing-orders`, order);
    expect(placed.status).toBe(201);
    expect(obSchemaErrors('OBWriteDomesticStandingOrderResponse6', placed.body, 'payment-initiation')).toEqual([]);
    expect(placed.body.Data.Status).toBe('PDNG');
    const again = await tpp.signedPost(tokens.access_token, `${PISP}/domestic-standing-orders`, order);
    expect(again.status).toBe(400);
    expect(again.body.Errors[0].ErrorCode).toBe('U009');
    const read = await tpp.api(cc.access_token, 'GET', `${PISP}/domestic-standing-orders/${placed.body.Data.DomesticStandingOrderId as string}`);
    expect(read.status).toBe(200);
    expect(read.body.Data.Status).toBe('PDNG');
  }, 120_000);

  it('refuses to start the approval of a payment consent asked for with the accounts scope', async () => {
    const consentId = await stagePayment('JOURNEY-3');
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid accounts');
    // The whole journey is one navigation of redirects, whose last hop (the TPP's redirect_uri) the route
    // above does not see: the request event does, and the navigation itself fails (no such site).
    let callback: URL | undefined;
    const origin = new URL(sandbox.tpp.redirect_uris[0]!).origin;
    page.on('request', (r) => {
      if (r.url().startsWith(origin)) callback = new URL(r.url());
    });
    await page.goto(request.url.toString()).catch(() => undefined);
    await expect.poll(() => callback?.searchParams.get('error') ?? null, { timeout: 10_000 }).toBe('invalid_scope');
    expect(callback!.searchParams.get('error_description')).toBe('a domestic-payment consent is authorised with the payments scope alone');
  });

  it('refuses a payment consent asked for with the accounts scope as well: no grant of a one-off payment carries accounts or a refresh token', async () => {
    const consentId = await stagePayment('JOURNEY-4');
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid payments accounts');
    let callback: URL | undefined;
    const origin = new URL(sandbox.tpp.redirect_uris[0]!).origin;
    page.on('request', (r) => {
      if (r.url().startsWith(origin)) callback = new URL(r.url());
    });
    await page.goto(request.url.toString()).catch(() => undefined);
    await expect.poll(() => callback?.searchParams.get('error') ?? null, { timeout: 10_000 }).toBe('invalid_scope');
    expect(callback!.searchParams.get('error_description')).toBe('a domestic-payment consent is authorised with the payments scope alone');
    const [consent]: Array<{ status: string; grant_id: string | null }> = await db.dataSource.query(`SELECT status, grant_id FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(consent).toEqual({ status: 'AWAU', grant_id: null });
  });
});
