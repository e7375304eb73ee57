import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SandboxCredentials } from '@consentry/sandbox';
import { TestDatabase } from '@consentry/testing';

import { freshTotpCode as freshOtp, TppClient } from '../../../../scripts/journey.js';
import { ROOT } from '../../../../scripts/platform.js';
import { launchPsuBrowser, PsuBrowser } from '../support/psu-browser.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x53);
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
const PISP = '/open-banking/v4.0/pisp';

/**
 * Payment monitoring end to end, in Chromium against the three built apps under the sandbox's default
 * rules: alice approves a 1,500.00 GBP payment to a payee she never paid; the TPP's payment is held
 * (PDNG, no debit); alice's open alerts page shows the hold live; an administrator releases it on the
 * admin API; the TPP's GET shows the status move on, and the account is debited once.
 */
describe('a held payment, reviewed', () => {
  let platform: TestPlatform;
  let db: TestDatabase;
  let sandbox: SandboxCredentials;
  let tpp: TppClient;
  let psu: PsuBrowser;

  const api = (path: string) => `${platform.env.API_URL}${path}`;
  const alice = () => sandbox.psus.find((p) => p.username === 'alice')!;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    platform = await startTestPlatform('reviewpages', {
      secretsKey: SECRETS_KEY,
      transactionsPerAccount: 1,
      seed: 31,
      env: { RISK_RULES_FILE: join(ROOT, 'libs/risk/rules/sandbox.yaml'), ALERT_INTERVAL_MS: '100' },
    });
    ({ db, sandbox, tpp } = platform);
    psu = await launchPsuBrowser(sandbox.tpp.redirect_uris[0]!);
  });

  afterAll(async () => {
    await psu?.close();
    await platform?.stop();
  });

  it('holds a large payment to a new payee, shows the PSU the hold live, and pays it once an admin releases it', async () => {
    const page = psu.page;
    const [bob] = await db.dataSource.query(
      `SELECT a.identification FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = 'bob' AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' ORDER BY a.account_id LIMIT 1`,
    );
    const initiation = {
      InstructionIdentification: 'I-REVIEW',
      EndToEndIdentification: 'REVIEW-1',
      InstructedAmount: { Amount: '1500.00', Currency: 'GBP' },
      CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: bob.identification as string, Name: 'Bob Builder' },
    };
    const cc = await tpp.clientCredentialsToken('payments');
    const created = await tpp.signedPost(cc.access_token, `${PISP}/domestic-payment-consents`, { Data: { Initiation: initiation }, Risk: {} });
    expect(created.status).toBe(201);
    const consentId = created.body.Data.ConsentId as string;

    // Alice approves on the auth server's page, from an account with the money.
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid payments');
    psu.expectRedirect();
    await page.goto(request.url.toString());
    await page.getByLabel('Username').fill(alice().username);
    await page.getByLabel('Password').fill(alice().password);
    await page.getByLabel('One-time code').fill(await freshOtp(alice().totpSecret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Approve this payment?' }).waitFor();
    const debtor = (await page.locator('input[type="radio"][name="accountIds"]').first().getAttribute('value'))!;
    await db.dataSource.query(`UPDATE balance SET amount = 5000, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [debtor]);
    await page.locator(`input[name="accountIds"][value="${debtor}"]`).check();
    await page.getByRole('button', { name: 'Approve payment' }).click();
    await expect.poll(() => psu.redirected?.searchParams.has('code') ?? false, { timeout: 10_000 }).toBe(true);
    const callback = new URL(sandbox.tpp.redirect_uris[0]!).origin;
    await page.waitForURL((url) => url.origin === callback, { waitUntil: 'load' });
    const tokens = await tpp.exchangeCode(psu.redirected!, request);

    // Alice has her alerts open, the live stream connected, before the payment is made.
    await psu.context.clearCookies();
    await page.goto(api('/dashboard/login'));
    await page.getByLabel('Username').fill(alice().username);
    await page.getByLabel('Password').fill(alice().password);
    await page.getByLabel('One-time code').fill(await freshOtp(alice().totpSecret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(api('/dashboard'));
    await page.goto(api('/dashboard/alerts'));
    await page.locator('#alert-list[data-live="on"]').waitFor({ state: 'attached' });
    let loads = 0;
    page.on('load', () => (loads += 1));

    const paid = await tpp.signedPost(tokens.access_token, `${PISP}/domestic-payments`, { Data: { ConsentId: consentId, Initiation: initiation }, Risk: {} });
    expect(paid.status).toBe(201);
    const paymentId = paid.body.Data.DomesticPaymentId as string;
    expect(paid.body.Data.Status).toBe('PDNG');
    const held = await tpp.api(cc.access_token, 'GET', `${PISP}/domestic-payments/${paymentId}`);
    expect(held.body.Data.Status).toBe('PDNG');
    // No tipping-off: the TPP's answer does not say which rule held it.
    expect(JSON.stringify(held.body)).not.toMatch(/new-payee|large-payment|velocity|deny/i);
    const [before] = await db.dataSource.query(`SELECT amount::text FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [debtor]);
    expect(before.amount).toBe('5000.00000');

    const alert = page.locator('#alert-list li', { hasText: 'is on hold' });
    await alert.waitFor({ timeout: 30_000 });
    expect(loads).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-payment-held-alert.png'), fullPage: true });

    // An administrator finds it in the queue and releases it, with a reason.
    const signIn = await fetch(api('/admin/sessions'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: sandbox.admin.username, password: sandbox.admin.password, otp: await freshOtp(sandbox.admin.totpSecret) }),
    });
    expect(signIn.status).toBe(201);
    const admin = { authorization: `Bearer ${((await signIn.json()) as { accessToken: string }).accessToken}` };
    const queue = (await (await fetch(api('/admin/payment-reviews'), { headers: admin })).json()) as { reviews: Array<{ paymentId: string }> };
    expect(queue.reviews.map((review) => review.paymentId)).toContain(paymentId);
    const released = await fetch(api(`/admin/payment-reviews/${paymentId}/release`), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'Customer confirmed the payee by phone' }),
    });
    expect(released.status).toBe(200);

    // The TPP sees it move on; the account is debited once.
    await expect
      .poll(async () => (await tpp.api(cc.access_token, 'GET', `${PISP}/domestic-payments/${paymentId}`)).body.Data.Status, { timeout: 15_000 })
      .toMatch(/^ACS[PC]$/);
    const [after] = await db.dataSource.query(`SELECT amount::text FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [debtor]);
    expect(after.amount).toBe('3500.00000');
    // The worker chains the audit events within moments: the decision and the release are there.
    await expect
      .poll(
        async () => {
          const types: Array<{ event_type: string }> = await db.dataSource.query(`SELECT event_type FROM audit_log WHERE event #>> '{data,paymentId}' = $1 ORDER BY seq`, [paymentId]);
          return types.map((t) => t.event_type);
        },
        { timeout: 15_000 },
      )
      .toEqual(expect.arrayContaining(['payment.risk-assessed', 'payment.review.released']));
    // The customer is told, live, that the payment on hold was checked and is going ahead.
    await page.locator('#alert-list li', { hasText: 'was checked' }).waitFor({ timeout: 30_000 });
    expect(loads).toBe(0);
    // Three sign-ins, each waiting for a fresh one-time code.
  }, 180_000);
});
