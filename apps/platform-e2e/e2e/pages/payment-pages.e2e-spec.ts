import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SandboxCredentials } from '@consentry/sandbox';
import { TestDatabase } from '@consentry/testing';

import { freshTotpCode as freshOtp, TppClient } from '../../../../scripts/journey.js';
import { ROOT } from '../../../../scripts/platform.js';
import { launchPsuBrowser, PsuBrowser } from '../support/psu-browser.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x51);
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
const PISP = '/open-banking/v4.0/pisp';

type ObAccount = { SchemeName: string; Identification: string; Name: string };

/**
 * Payments on the people's pages, in Chromium against the three built apps: alice approves a VRP
 * consent on the auth server's page and the TPP pays under it; on her dashboard she sees the consent in
 * plain words and its payments, payees masked, never bob's consent; she stops it and the next VRP is
 * refused; an administrator finds the payments in the console with their audit events.
 */
describe('payment pages', () => {
  let platform: TestPlatform;
  let db: TestDatabase;
  let sandbox: SandboxCredentials;
  let tpp: TppClient;
  let psu: PsuBrowser;
  let aliceConsent: string;
  let bobConsent: string;
  let accessToken: string;
  let payee: ObAccount;
  const paymentIds: string[] = [];

  const user = (name: string) => sandbox.psus.find((p) => p.username === name)!;
  const api = (path: string) => `${platform.env.API_URL}${path}`;
  const page = () => psu.page;
  const shot = (name: string) => page().screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    platform = await startTestPlatform('paypages', { secretsKey: SECRETS_KEY, transactionsPerAccount: 3, seed: 23 });
    ({ db, sandbox, tpp } = platform);
    psu = await launchPsuBrowser(sandbox.tpp.redirect_uris[0]!);
    const [bob] = await db.dataSource.query(
      `SELECT a.identification FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = 'bob' AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' ORDER BY a.account_id LIMIT 1`,
    );
    payee = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: bob.identification, Name: 'Bob’s Gym' };
  });

  afterAll(async () => {
    await psu?.close();
    await platform?.stop();
  });

  /** A VRP consent the TPP stages and `username` approves in Chromium on the auth server's page; returns it and the code's redirect. */
  async function approvedVrpConsent(username: string, to: ObAccount): Promise<{ consentId: string; tokens: Awaited<ReturnType<TppClient['exchangeCode']>> }> {
    const cc = await tpp.clientCredentialsToken('payments');
    const created = await tpp.signedPost(cc.access_token, `${PISP}/domestic-vrp-consents`, {
      Data: {
        ControlParameters: {
          VRPType: ['UK.OBIE.VRPType.Other'],
          PSUAuthenticationMethods: ['UK.OBIE.SCA'],
          MaximumIndividualAmount: { Amount: '40.00', Currency: 'GBP' },
          PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '100.00', Currency: 'GBP' }],
        },
        Initiation: { CreditorAccount: to },
      },
      Risk: {},
    });
    expect(created.status).toBe(201);
    const consentId = created.body.Data.ConsentId as string;
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid payments');
    // Whoever signed in before is forgotten: this PSU signs in afresh.
    await psu.context.clearCookies();
    psu.expectRedirect();
    await page().goto(request.url.toString());
    await page().getByLabel('Username').fill(user(username).username);
    await page().getByLabel('Password').fill(user(username).password);
    await page().getByLabel('One-time code').fill(await freshOtp(user(username).totpSecret));
    await page().getByRole('button', { name: 'Sign in' }).click();
    await page().getByRole('heading', { level: 1, name: 'Approve these recurring payments?' }).waitFor();
    const debtor = await page().locator('input[type="radio"][name="accountIds"]').first().getAttribute('value');
    await db.dataSource.query(`UPDATE balance SET amount = 1000, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [debtor]);
    await page().locator(`input[name="accountIds"][value="${debtor}"]`).check();
    await page().getByRole('button', { name: 'Approve payments' }).click();
    await expect.poll(() => psu.redirected?.searchParams.has('code') ?? false, { timeout: 10_000 }).toBe(true);
    // The route answered the redirect; let the page finish that navigation, or the next goto races it.
    const callback = new URL(sandbox.tpp.redirect_uris[0]!).origin;
    await page().waitForURL((url) => url.origin === callback, { waitUntil: 'load' });
    return { consentId, tokens: await tpp.exchangeCode(psu.redirected!, request) };
  }

  function vrp(consentId: string, amount: string, reference: string) {
    return {
      Data: {
        ConsentId: consentId,
        PSUAuthenticationMethod: 'UK.OBIE.SCANotRequired',
        VRPType: 'UK.OBIE.VRPType.Other',
        Initiation: { CreditorAccount: payee },
        Instruction: { InstructionIdentification: `I-${reference}`, EndToEndIdentification: reference, InstructedAmount: { Amount: amount, Currency: 'GBP' }, CreditorAccount: payee },
      },
      Risk: {},
    };
  }

  async function expectNoAccountNumber(): Promise<void> {
    const html = await page().content();
    const numbers: Array<{ identification: string }> = await db.dataSource.query(`SELECT identification FROM account WHERE length(identification) >= 8`);
    expect(numbers.length).toBeGreaterThan(0);
    for (const { identification } of numbers) expect(html).not.toContain(identification);
  }

  async function signIn(path: string, who: { username: string; password: string; totpSecret: string }): Promise<void> {
    await psu.context.clearCookies();
    await page().goto(api(path));
    await page().getByLabel('Username').fill(who.username);
    await page().getByLabel('Password').fill(who.password);
    await page().getByLabel('One-time code').fill(await freshOtp(who.totpSecret));
    await page().getByRole('button', { name: 'Sign in' }).click();
  }

  it('lets alice and bob approve VRP consents on the auth server, and the TPP pays under alice’s', async () => {
    const alice = await approvedVrpConsent('alice', payee);
    aliceConsent = alice.consentId;
    accessToken = alice.tokens.access_token;
    for (const [i, amount] of ['40.00', '30.00'].entries()) {
      const paid = await tpp.signedPost(accessToken, `${PISP}/domestic-vrps`, vrp(aliceConsent, amount, `GYM-${i}`));
      expect(paid.status).toBe(201);
      paymentIds.push(paid.body.Data.DomesticVRPId as string);
    }
    const [aliceAccount] = await db.dataSource.query(`SELECT identification FROM account WHERE account_id = (SELECT debtor_account_id FROM payment_consent WHERE consent_id = $1)`, [aliceConsent]);
    bobConsent = (await approvedVrpConsent('bob', { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: aliceAccount.identification, Name: 'Alice' })).consentId;
  });

  it('shows alice her VRP consent in plain words with its payments, payees masked, and never bob’s', async () => {
    await signIn('/dashboard/login', user('alice'));
    await page().waitForURL(api('/dashboard'));
    await page().getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Payments' }).click();
    await page().waitForURL(api('/dashboard/payments'));
    expect(await page().getByRole('heading', { level: 1 }).innerText()).toBe('Payments you allowed');
    const card = page().locator(`[data-consent="${aliceConsent}"]`);
    const text = await card.innerText();
    expect(text).toContain(`${sandbox.tpp.client_name}: recurring payments`);
    expect(text).toContain('Active');
    expect(text).toContain('Payments to someone else');
    expect(await card.locator('[data-field="maximum-per-payment"]').innerText()).toBe('40.00 GBP');
    expect(await card.locator('[data-field="periodic-limit"]').allInnerTexts()).toEqual(['100.00 GBP per calendar month']);
    expect(await card.locator('[data-field="payee-name"]').innerText()).toBe('Bob’s Gym');
    expect(await card.locator('[data-field="payee-account"]').innerText()).toBe(`**********${payee.Identification.slice(-4)}`);
    const rows = card.locator('tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-payment')))).toEqual([...paymentIds].reverse());
    expect(await rows.first().innerText()).toContain('30.00 GBP');
    expect(await rows.last().innerText()).toContain('40.00 GBP');
    expect(await page().locator(`[data-consent="${bobConsent}"]`).count()).toBe(0);
    expect(await page().content()).not.toContain(bobConsent);
    await expectNoAccountNumber();
    await shot('11-dashboard-payments');

    // Bob's consent by its address: not found for alice. A cursor the API did not issue: a 400 page.
    const foreign = await page().goto(api(`/dashboard/payments/${bobConsent}`));
    expect(foreign?.status()).toBe(404);
    expect(await page().content()).not.toContain(bobConsent);
    const forgedCursor = Buffer.from(JSON.stringify(['1', "x' OR 1=1"])).toString('base64url');
    expect((await page().goto(api(`/dashboard/payments?cursor=${forgedCursor}`)))?.status()).toBe(400);
  });

  it('stops the VRP consent from the dashboard with a CSRF-bound form, and the next VRP is refused', async () => {
    await page().goto(api('/dashboard/payments'));
    const forged = await page().request.post(api(`/dashboard/payments/${aliceConsent}/revoke`), { form: { csrf: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect((await db.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [aliceConsent]))[0].status).toBe('AUTH');

    await page().getByRole('button', { name: `Stop payments for ${sandbox.tpp.client_name}` }).first().click();
    await page().waitForURL(api('/dashboard/payments?notice=revoked'));
    expect(await page().getByRole('status').innerText()).toContain('Stopped.');
    const card = page().locator(`[data-consent="${aliceConsent}"]`);
    expect(await card.innerText()).toContain('Stopped');
    expect(await card.getByRole('button').count()).toBe(0);
    await shot('12-dashboard-payments-stopped');

    expect((await db.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [aliceConsent]))[0].status).toBe('CANC');
    // The grant went with the consent: the token is answered 401 invalid_token (openid-client throws on the challenge).
    await expect(tpp.signedPost(accessToken, `${PISP}/domestic-vrps`, vrp(aliceConsent, '1.00', 'GYM-AFTER'))).rejects.toThrow(/WWW-Authenticate/);
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM vrp_payment WHERE consent_id = $1`, [aliceConsent]);
    expect(n).toBe(2);
    // Bob's consent is untouched.
    expect((await db.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [bobConsent]))[0].status).toBe('AUTH');
  });

  it('shows an administrator the payments in the console, each with its audit events', async () => {
    await signIn('/admin-console/login', sandbox.admin);
    await page().waitForURL(api('/admin-console/events'));
    await page().getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Payments' }).click();
    await page().waitForURL(api('/admin-console/payments'));
    // A filter the console cannot read: the form comes back (400) with the field marked, nothing listed.
    expect((await page().goto(api('/admin-console/payments?status=DONE&from=yesterday')))?.status()).toBe(400);
    expect(await page().getByRole('alert').innerText()).toBe('Correct the 2 fields marked below to search.');
    expect(await page().locator('tbody tr').count()).toBe(0);
    await page().getByLabel('Status').selectOption('');
    await page().getByLabel('Created from (UTC)').fill('');
    await page().getByLabel('Consent id').fill(aliceConsent);
    await page().getByRole('button', { name: 'Search' }).click();
    await page().waitForURL(/consentId=/);
    const rows = page().locator('tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-payment')))).toEqual([...paymentIds].reverse());
    expect(await rows.first().innerText()).toContain(`Bob’s Gym (**********${payee.Identification.slice(-4)})`);
    await expectNoAccountNumber();
    await shot('13-admin-console-payments');

    await page().getByRole('link', { name: paymentIds[0]! }).click();
    await page().waitForURL(api(`/admin-console/payments/${paymentIds[0]}`));
    expect(await page().getByRole('heading', { level: 1 }).innerText()).toBe(`Payment ${paymentIds[0]}`);
    expect(await page().locator('[data-field="amount"]').innerText()).toBe('40.00 GBP');
    // The worker relays the events into the chained log within moments.
    await expect
      .poll(async () => {
        await page().reload();
        return page().getByRole('row').filter({ hasText: 'payment.submitted' }).count();
      }, { timeout: 15_000 })
      .toBe(1);
    expect(await page().getByRole('row').filter({ hasText: 'payment.status-changed' }).count()).toBeGreaterThanOrEqual(1);
    await expectNoAccountNumber();
    await shot('14-admin-console-payment');
  });
});
