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
    return approveInBrowser(created.body.Data.ConsentId as string, username, 'Approve these recurring payments?', 'Approve payments');
  }

  /** `username` signs in on the auth server's page for `consentId` and approves it from their first account; returns the TPP's tokens. */
  async function approveInBrowser(consentId: string, username: string, heading: string, button: string): Promise<{ consentId: string; tokens: Awaited<ReturnType<TppClient['exchangeCode']>> }> {
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid payments');
    // Whoever signed in before is forgotten: this PSU signs in afresh.
    await psu.context.clearCookies();
    psu.expectRedirect();
    await page().goto(request.url.toString());
    await page().getByLabel('Username').fill(user(username).username);
    await page().getByLabel('Password').fill(user(username).password);
    await page().getByLabel('One-time code').fill(await freshOtp(user(username).totpSecret));
    await page().getByRole('button', { name: 'Sign in' }).click();
    await page().getByRole('heading', { level: 1, name: heading }).waitFor();
    const debtor = await page().locator('input[type="radio"][name="accountIds"]').first().getAttribute('value');
    await db.dataSource.query(`UPDATE balance SET amount = 1000, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [debtor]);
    await page().locator(`input[name="accountIds"][value="${debtor}"]`).check();
    await page().getByRole('button', { name: button }).click();
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

  it('lists alice’s standing order and scheduled payment in words, and she cancels each before it runs', async () => {
    const cc = await tpp.clientCredentialsToken('payments');
    const soInitiation = {
      NumberOfPayments: '3',
      FirstPaymentAmount: { Amount: '25.00', Currency: 'GBP' },
      CreditorAccount: payee,
      MandateRelatedInformation: { Frequency: { Type: 'WEEK' }, FirstPaymentDateTime: '2049-03-01T10:00:00+00:00' },
    };
    const soConsent = await tpp.signedPost(cc.access_token, `${PISP}/domestic-standing-order-consents`, { Data: { Permission: 'Create', Initiation: soInitiation }, Risk: {} });
    expect(soConsent.status).toBe(201);
    const so = await approveInBrowser(soConsent.body.Data.ConsentId as string, 'alice', 'Approve this standing order?', 'Approve payment');
    const order = await tpp.signedPost(so.tokens.access_token, `${PISP}/domestic-standing-orders`, { Data: { ConsentId: so.consentId, Initiation: soInitiation }, Risk: {} });
    expect(order.status).toBe(201);
    const standingOrderId = order.body.Data.DomesticStandingOrderId as string;

    const on = '2049-02-01T09:00:00+00:00';
    const spInitiation = { InstructionIdentification: 'I-RENT', EndToEndIdentification: 'RENT', RequestedExecutionDateTime: on, InstructedAmount: { Amount: '12.34', Currency: 'GBP' }, CreditorAccount: payee };
    const spConsent = await tpp.signedPost(cc.access_token, `${PISP}/domestic-scheduled-payment-consents`, { Data: { Permission: 'Create', Initiation: spInitiation }, Risk: {} });
    expect(spConsent.status).toBe(201);
    const sp = await approveInBrowser(spConsent.body.Data.ConsentId as string, 'alice', 'Approve this payment?', 'Approve payment');
    const placed = await tpp.signedPost(sp.tokens.access_token, `${PISP}/domestic-scheduled-payments`, { Data: { ConsentId: sp.consentId, Initiation: spInitiation }, Risk: {} });
    expect(placed.status).toBe(201);
    const scheduledPaymentId = placed.body.Data.DomesticScheduledPaymentId as string;

    await signIn('/dashboard/login', user('alice'));
    await page().waitForURL(api('/dashboard'));
    await page().goto(api('/dashboard/payments'));
    const soCard = page().locator(`[data-consent="${so.consentId}"]`);
    expect(await soCard.innerText()).toContain(`${sandbox.tpp.client_name}: a standing order`);
    expect(await soCard.locator('[data-field="frequency"]').innerText()).toBe('Every week');
    expect(await soCard.locator('[data-field="first-payment"]').innerText()).toBe('25.00 GBP on 1 Mar 2049, 10:00 UTC');
    expect(await soCard.locator('[data-field="ends"]').innerText()).toBe('After 3 payments');
    expect(await soCard.locator('[data-field="next-payment"]').innerText()).toBe('1 Mar 2049, 10:00 UTC');
    const spCard = page().locator(`[data-consent="${sp.consentId}"]`);
    expect(await spCard.locator('[data-field="amount"]').innerText()).toBe('12.34 GBP');
    expect(await spCard.locator('[data-field="execution-date"]').innerText()).toBe('1 Feb 2049, 09:00 UTC');
    await expectNoAccountNumber();
    await shot('15-dashboard-standing-order');

    // A forged form changes nothing; the button, with the session's CSRF token, cancels.
    const forged = await page().request.post(api(`/dashboard/payments/standing-orders/${standingOrderId}/cancel`), { form: { csrf: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    await soCard.getByRole('button', { name: 'Cancel standing order' }).click();
    await page().waitForURL(api('/dashboard/payments?notice=cancelled'));
    expect(await page().getByRole('status').innerText()).toContain('Cancelled.');
    expect(await soCard.getByRole('button', { name: 'Cancel standing order' }).count()).toBe(0);
    expect(await soCard.locator('[data-field="next-payment"]').count()).toBe(0);
    expect((await db.dataSource.query(`SELECT status, next_run_at FROM domestic_standing_order WHERE standing_order_id = $1`, [standingOrderId]))[0]).toEqual({ status: 'CANC', next_run_at: null });

    await spCard.getByRole('button', { name: 'Cancel this payment' }).click();
    await page().waitForURL(api('/dashboard/payments?notice=cancelled'));
    expect(await spCard.locator(`tr[data-payment="${scheduledPaymentId}"]`).innerText()).toContain('Cancelled');
    expect(await spCard.getByRole('button', { name: 'Cancel this payment' }).count()).toBe(0);
    // The TPP sees the cancellation on its GET.
    const read = await tpp.api(cc.access_token, 'GET', `${PISP}/domestic-scheduled-payments/${scheduledPaymentId}`);
    expect(read.body.Data.Status).toBe('CANC');
    // Bob cannot cancel alice's order: not his, so nothing changes and the page says so.
    await signIn('/dashboard/login', user('bob'));
    await page().waitForURL(api('/dashboard'));
    await page().goto(api('/dashboard/payments'));
    const csrf = await page().locator('input[name="csrf"]').first().getAttribute('value');
    const foreign = await page().request.post(api(`/dashboard/payments/scheduled-payments/${scheduledPaymentId}/cancel`), { form: { csrf: csrf! }, maxRedirects: 0 });
    expect(foreign.headers()['location']).toBe('/dashboard/payments?notice=not_cancellable');
    // Four sign-ins, each waiting for a fresh one-time code: up to two minutes on a busy machine.
  }, 180_000);
});
