import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expireHeldPayments } from '@consentry/consents';
import { currentTotpCode } from '@consentry/identity';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, jsonString } from '../support/api-harness.js';
import { PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { NEW_PAYEE_RULES, riskFiles } from '../support/risk-fixtures.js';

describe('payment monitoring: the review queue in the admin console (a real browser)', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let debtor: PsuAccount;
  let files: Awaited<ReturnType<typeof riskFiles>>;
  let profileDir: string;
  let context: BrowserContext;
  let page: Page;
  const held: string[] = [];
  // A third hold no admin reviews: it expires, and does not count as reviewed in the false-positive rate.
  let unreviewed: string;

  // localhost, not 127.0.0.1: the browser treats it as a secure context for the console's cookies.
  const console = (path: string) => `${h.api.url.replace('127.0.0.1', 'localhost')}/admin-console${path}`;

  beforeAll(async () => {
    files = await riskFiles(NEW_PAYEE_RULES);
    h = await ApiHarness.start('payment_reviews_console', files.env);
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice', 1);
    await fixtures.setBalance(debtor!.accountId, '5000.00');
    for (const n of [1, 2]) {
      const payee = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: `6100006100000${n}`, Name: `Payee ${n}` };
      const { paid } = await fixtures.domesticPayment('alice', debtor!, payee, '1100.00', `CONSOLE-${n}`);
      held.push(jsonString(paid.body.Data.DomesticPaymentId));
    }
    const payee = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '61000061000003', Name: 'Payee 3' };
    unreviewed = jsonString((await fixtures.domesticPayment('alice', debtor!, payee, '1100.00', 'CONSOLE-3')).paid.body.Data.DomesticPaymentId);
    profileDir = await mkdtemp(join(tmpdir(), 'consentry-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await context?.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
    await h?.stop();
    await files?.remove();
  });

  async function tppStatus(paymentId: string): Promise<string> {
    const read = await h.tpp('GET', `/open-banking/v4.0/pisp/domestic-payments/${paymentId}`, { token: await h.clientCredentialsToken({ scope: 'payments' }) });
    return jsonString(read.body.Data.Status);
  }

  it('lists the held payments, releases one and rejects the other through the forms, and shows each rule’s false-positive rate', async () => {
    await page.goto(console('/login'));
    await page.getByLabel('Username').fill(h.sandbox.admin.username);
    await page.getByLabel('Password').fill(h.sandbox.admin.password);
    await page.getByLabel('One-time code').fill(await currentTotpCode(h.sandbox.admin.totpSecret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(console('/events'));

    const answer = await page.goto(console('/payment-reviews'));
    expect(answer?.status()).toBe(200);
    // The console's CSP (no script at all), and no inline script on the page.
    expect(answer?.headers()['content-security-policy']).toMatch(/^default-src 'none';/);
    expect(answer?.headers()['content-security-policy']).not.toContain('unsafe-inline');
    expect(await page.locator('script:not([src])').count()).toBe(0);
    const rows = page.locator('tbody tr[data-review]');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-review')))).toEqual([...held, unreviewed]);
    expect(await rows.first().locator('[data-field="rules"]').innerText()).toBe('large-payment-to-new-payee (new-payee, 50) = 50');
    expect(await page.content()).not.toContain('61000061000001');

    // Three zero-width spaces are no reason (the admin API's rule): refused, the payment still held.
    await rows.first().getByLabel('Reason to release').fill('\u200b\u200b\u200b');
    await rows.first().getByRole('button', { name: 'Release' }).click();
    await page.waitForURL(/notice=invalid/);
    expect(await tppStatus(held[0]!)).toBe('PDNG');

    await rows.first().getByLabel('Reason to release').fill('Customer confirmed the builder');
    await rows.first().getByRole('button', { name: 'Release' }).click();
    await page.waitForURL(/notice=released/);
    expect(await tppStatus(held[0]!)).toBe('ACSP');

    await page.locator(`tr[data-review="${held[1]}"]`).getByLabel('Reason to reject').fill('Known scam payee');
    await page.locator(`tr[data-review="${held[1]}"]`).getByRole('button', { name: 'Reject' }).click();
    await page.waitForURL(/notice=rejected/);
    expect(await tppStatus(held[1]!)).toBe('RJCT');
    // The third is never reviewed: the worker's job expires it (run here an hour later, for a 30-minute timeout).
    expect(await expireHeldPayments(h.dataSource, new Date(Date.now() + 3_600_000), 30)).toBe(1);
    expect(await tppStatus(unreviewed)).toBe('RJCT');
    await page.goto(console('/payment-reviews'));
    expect(await page.getByText('No payment is waiting for review.').count()).toBe(1);

    // kind, fired, held, reviewed by an admin, released, released over reviewed (the expiry is no review).
    const rule = page.locator('tr[data-rule="large-payment-to-new-payee"]');
    expect(await rule.locator('td').allInnerTexts()).toEqual(['new-payee', '3', '3', '2', '1', '0.500']);
  });
});
