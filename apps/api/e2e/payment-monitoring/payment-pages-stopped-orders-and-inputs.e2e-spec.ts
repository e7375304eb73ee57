import { executeDueStandingOrderRuns } from '@consentry/consents';
import { currentTotpCode } from '@consentry/identity';
import { PaymentRiskEngine } from '@consentry/risk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, jsonString } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { riskFiles, SMALL_NEW_PAYEE_HOLD_RULES } from '../support/risk-fixtures.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * The dashboard's and the console's payment pages under hostile input and late decisions: an id holding
 * U+0000 is a 4xx page; a run of a standing order the PSU cancelled, or a VRP whose consent the PSU
 * stopped, is never paid by a later release of its hold; a card number a TPP writes into a payee name is
 * masked on every page.
 */
describe('payment pages: stopped orders stay unpaid, hostile input gets a 4xx page, card numbers are masked', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let files: Awaited<ReturnType<typeof riskFiles>>;
  let debtor: PsuAccount;
  let alice: string;
  let admin: string;

  beforeAll(async () => {
    files = await riskFiles(SMALL_NEW_PAYEE_HOLD_RULES, []);
    h = await ApiHarness.start('payment_pages_refusals', files.env);
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice', 1);
    await fixtures.setBalance(debtor!.accountId, '1000.00');
    alice = await signIn('dashboard', 'alice');
    admin = await signIn('admin-console', 'admin');
  });
  afterAll(async () => {
    await h?.stop();
    await files?.remove();
  });

  async function signIn(site: 'dashboard' | 'admin-console', username: string): Promise<string> {
    const who = site === 'dashboard' ? h.sandbox.psus.find((p) => p.username === username)! : { ...h.sandbox.admin };
    const page = await h.call('GET', `/${site}/login`);
    const loginCookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(String(page.body))![1]!;
    const form = new URLSearchParams({ csrf, username: who.username, password: who.password, otp: await currentTotpCode(who.totpSecret) }).toString();
    const posted = await post(`/${site}/login`, form, loginCookie);
    expect(posted.status).toBe(303);
    return posted.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith(`consentry-${site === 'dashboard' ? 'dashboard' : 'admin-console'}=`))!;
  }

  function post(path: string, body: string, cookie: string): Promise<Response> {
    return fetch(`${h.api.url}${path}`, { method: 'POST', body, headers: { ...FORM, cookie }, redirect: 'manual' });
  }
  function get(path: string, cookie: string): Promise<Response> {
    return fetch(`${h.api.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  }
  async function csrfOf(path: string, cookie: string): Promise<string> {
    const html = await (await get(path, cookie)).text();
    return /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  }
  function payee(identification: string, name: string): ObAccount {
    return { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: identification, Name: name };
  }

  it('a NUL character in an id of the dashboard and console payment pages is a 4xx page, never a 500', async () => {
    const dashCsrf = await csrfOf('/dashboard/payments', alice);
    const adminCsrf = await csrfOf('/admin-console/payments', admin);
    const statuses: Record<string, number> = {
      'GET /dashboard/payments/%00': (await get('/dashboard/payments/%00', alice)).status,
      'POST /dashboard/payments/%00/revoke': (await post('/dashboard/payments/%00/revoke', new URLSearchParams({ csrf: dashCsrf }).toString(), alice)).status,
      'GET /admin-console/payments/%00': (await get('/admin-console/payments/%00', admin)).status,
      'GET /admin-console/payments?consentId=%00': (await get('/admin-console/payments?consentId=%00', admin)).status,
      'GET /admin-console/payments?clientId=%00': (await get('/admin-console/payments?clientId=%00', admin)).status,
      'POST /admin-console/payment-reviews/%00/release': (await post('/admin-console/payment-reviews/%00/release', new URLSearchParams({ csrf: adminCsrf, reason: 'checked with customer' }).toString(), admin)).status,
    };
    expect(Object.entries(statuses).filter(([, status]) => status < 400 || status >= 500)).toEqual([]);
  });

  it('a consent past its end before the sweep reached it shows as ended at its end, not at its approval', async () => {
    // Until 7 December 2026 the dashboard's account-access card showed the approval as its end ("Ended 1 Jan").
    const ais = await h.authorisedConsent(['ReadAccountsBasic'], 'alice');
    await h.dataSource.query(
      `UPDATE account_access_consent SET authorised_at = timestamptz '2026-01-01T09:05:00Z', status_update_date_time = timestamptz '2026-01-01T09:05:00Z',
              expiration_date_time = timestamptz '2026-06-30T12:00:00Z' WHERE consent_id = $1`,
      [ais],
    );
    const vrpPayee = payee('40000069000002', 'Payee ENDED');
    const { consentId: vrp } = await fixtures.vrpConsent('alice', debtor!, vrpPayee);
    await h.dataSource.query(`UPDATE payment_consent SET expiration_date_time = timestamptz '2026-06-30T12:00:00Z' WHERE consent_id = $1`, [vrp]);
    const endedOf = (html: string, consentId: string): string | undefined => {
      const at = html.indexOf(consentId);
      const card = html.slice(html.lastIndexOf('<section', at), html.indexOf('</section>', at));
      return /<dt>Ended<\/dt><dd[^>]*>([^<]*)<\/dd>/.exec(card)?.[1];
    };
    expect(endedOf(await (await get('/dashboard', alice)).text(), ais)).toBe('30 Jun 2026, 12:00 UTC');
    // The consent's own page: one consent, one Ended.
    expect(/<dt>Ended<\/dt><dd[^>]*>([^<]*)<\/dd>/.exec(await (await get(`/dashboard/payments/${vrp}`, alice)).text())?.[1]).toBe('30 Jun 2026, 12:00 UTC');
  });

  it('a form with a field it does not take is refused with a 4xx page and acts on nothing, as the API refuses one', async () => {
    const { paymentId } = await (async () => {
      const vrpPayee = payee('40000069000001', 'Payee EXTRA');
      const { consentId, psuToken } = await fixtures.vrpConsent('alice', debtor!, vrpPayee);
      const made = await fixtures.vrp(psuToken, consentId, vrpPayee, '20.00', 'EXTRA-FIELD');
      expect(made.body.Data.Status).toBe('PDNG');
      return { paymentId: jsonString(made.body.Data.DomesticVRPId) };
    })();
    const adminCsrf = await csrfOf('/admin-console/payment-reviews', admin);
    // Until 7 December 2026 the extra field was ignored and the payment rejected.
    const refused = await post(`/admin-console/payment-reviews/${paymentId}/reject`, new URLSearchParams({ csrf: adminCsrf, reason: 'Not the customer', amount: '0.01' }).toString(), admin);
    expect(refused.status).toBe(400);
    const [review] = await h.dataSource.query(`SELECT review_status FROM payment_risk_assessment WHERE payment_id = $1`, [paymentId]);
    expect(review.review_status).toBe('held');
    const dashCsrf = await csrfOf('/dashboard/alerts', alice);
    expect((await post('/dashboard/alerts/read-all', new URLSearchParams({ csrf: dashCsrf, all: 'yes' }).toString(), alice)).status).toBe(400);
    expect((await post('/dashboard/alerts/read-all', new URLSearchParams({ csrf: dashCsrf }).toString(), alice)).status).toBe(303);
    // The sign-in form too: its fields and no other.
    const who = h.sandbox.psus.find((p) => p.username === 'alice')!;
    const login = await h.call('GET', '/dashboard/login');
    const loginCookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const loginCsrf = /name="csrf" value="([^"]+)"/.exec(String(login.body))![1]!;
    const fields = { csrf: loginCsrf, username: who.username, password: who.password, otp: await currentTotpCode(who.totpSecret) };
    expect((await post('/dashboard/login', new URLSearchParams({ ...fields, remember: 'yes' }).toString(), loginCookie)).status).toBe(400);
  });

  it('a scheduled payment sent to its bank and unanswered offers no cancel, a standing order with such a run still does: the dashboard says which', async () => {
    const scheduled = await fixtures.scheduledPayment(debtor!, payee('40000050000003', 'Landlord'), '30.00', '2049-02-01T08:00:00+00:00', 'SCHED-AWAIT');
    const standing = await fixtures.weeklyStandingOrder(debtor!, payee('40000050000004', 'Gym'), '12.00', '2049-02-03T08:00:00+00:00');
    const orderId = standing.orderId;
    const cancelPaths = [`/dashboard/payments/scheduled-payments/${scheduled.paymentId}/cancel`, `/dashboard/payments/standing-orders/${orderId}/cancel`];
    const before = await (await get('/dashboard/payments', alice)).text();
    for (const path of cancelPaths) expect(before).toContain(path);

    // As the worker leaves them when the bank's answer is lost: the payment, and the order's first run, marked sent.
    await h.dataSource.query(`UPDATE domestic_payment SET sent_to_bank_at = now() WHERE payment_id = $1`, [scheduled.paymentId]);
    await h.dataSource.query(
      `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, status_update_date_time, sent_to_bank_at)
       VALUES ($1, 0, $2, '2049-02-03T08:00:00Z', 12, 'GBP', 'PDNG', now(), now())`,
      [orderId, `${orderId}-run-0`],
    );
    const page = await (await get('/dashboard/payments', alice)).text();
    // The scheduled payment is the bank's now; the standing order can still be stopped, its runs after that one.
    expect(page).not.toContain(cancelPaths[0]);
    expect(page).toContain(cancelPaths[1]);
    expect(page.match(/data-awaiting-bank/g)).toHaveLength(2);
    expect(page).toContain('Cancelling stops the payments after it.');
    // (The page is the customer API's view, CustomerPaymentConsentsService, in words: its awaitingBankAnswer and cancellablePaymentId.)
    for (const consentId of [scheduled.consentId, standing.consentId]) expect(page).toContain(`data-consent="${consentId}"`);
    // And the cancel itself is refused, should the form be posted anyway.
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await post(cancelPaths[0]!, new URLSearchParams({ csrf }).toString(), alice)).headers.get('location')).toBe('/dashboard/payments?notice=not_cancellable');
    // The order is cancelled, and the PSU told that the run with the bank may still be paid.
    expect((await post(cancelPaths[1]!, new URLSearchParams({ csrf }).toString(), alice)).headers.get('location')).toBe('/dashboard/payments?notice=cancelled_run_with_bank');
    expect(await h.dataSource.query(`SELECT status FROM standing_order_run WHERE payment_id = $1`, [`${orderId}-run-0`])).toEqual([{ status: 'PDNG' }]);
  });

  it('a standing order the PSU cancelled on the dashboard ("No payment will be made from it") is never paid by a later release of its held run', async () => {
    const { orderId } = await fixtures.weeklyStandingOrder(debtor!, payee('40000050000002', 'Standing Order Payee'), '25.00', '2049-01-15T08:00:00+00:00');
    const risk = PaymentRiskEngine.load({ rulesFile: files.env.RISK_RULES_FILE!, denyListFile: files.env.RISK_DENY_LIST_FILE! });
    await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2049-01-15T08:00:00Z'), { approvals: h.approvals(), risk });
    const runId = `${orderId}-run-0`;
    expect(await h.dataSource.query(`SELECT status FROM standing_order_run WHERE payment_id = $1`, [runId])).toEqual([{ status: 'PDNG' }]);
    const before = await fixtures.available(debtor!.accountId);

    // The PSU cancels the standing order on the dashboard: the page says no payment will be made from it.
    const page = await (await get('/dashboard/payments', alice)).text();
    expect(page).toContain(`/dashboard/payments/standing-orders/${orderId}/cancel`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const cancelled = await post(`/dashboard/payments/standing-orders/${orderId}/cancel`, new URLSearchParams({ csrf }).toString(), alice);
    expect(cancelled.headers.get('location')).toBe('/dashboard/payments?notice=cancelled');
    expect(await (await get('/dashboard/payments?notice=cancelled', alice)).text()).toContain('No payment will be made from it.');

    // An administrator then releases the held run from the console's review page.
    const adminCsrf = await csrfOf('/admin-console/payment-reviews', admin);
    const released = await post(`/admin-console/payment-reviews/${runId}/release`, new URLSearchParams({ csrf: adminCsrf, reason: 'Looks fine to me' }).toString(), admin);
    expect(released.status).toBe(303);
    const [run] = await h.dataSource.query(`SELECT status FROM standing_order_run WHERE payment_id = $1`, [runId]);
    expect({ location: released.headers.get('location'), run: run.status, available: await fixtures.available(debtor!.accountId) }).toEqual({
      location: '/admin-console/payment-reviews?notice=conflict',
      run: expect.not.stringMatching(/^ACS/),
      available: before,
    });
  });
  it('a card number (PAN) a TPP puts in the payee name is masked on the dashboard and console pages, as the audit log masks it, whatever separates or writes its digits', async () => {
    // Luhn-valid test PAN in the TPP-controlled CreditorAccount.Name, written whole, with narrow no-break
    // spaces (U+202F) and in full-width digits (U+FF10-FF19); the audit redactor shows each as 411111******1111.
    const pan = '4111111111111111';
    const names = [`Card ${pan}`, `Card ${pan.match(/\d{4}/g)!.join('\u202F')}`, `Card ${Array.from(pan, (d) => String.fromCodePoint(0xff10 + Number(d))).join('')}`];
    const pages: Record<string, string> = {};
    for (const [i, name] of names.entries()) {
      const withPan = payee(`4000005000007${i}`, name);
      const { consentId, psuToken } = await fixtures.vrpConsent('alice', debtor!, withPan);
      const paid = await fixtures.vrp(psuToken, consentId, withPan, '5.00', `PAN-IN-NAME-${i}`);
      expect(paid.status).toBe(201);
      const paymentId = jsonString(paid.body.Data.DomesticVRPId);
      pages[`/dashboard/payments/${consentId}`] = await (await get(`/dashboard/payments/${consentId}`, alice)).text();
      pages[`/admin-console/payments/${paymentId}`] = await (await get(`/admin-console/payments/${paymentId}`, admin)).text();
    }
    pages['/dashboard/payments'] = await (await get('/dashboard/payments', alice)).text();
    pages['/admin-console/payments'] = await (await get('/admin-console/payments', admin)).text();
    expect(Object.entries(pages).filter(([, html]) => [pan, ...names].some((written) => html.includes(written))).map(([path]) => path)).toEqual([]);
    expect(Object.entries(pages).filter(([, html]) => !html.includes('Card 411111******1111')).map(([path]) => path)).toEqual([]);
  });

  it('a VRP held for review before the PSU stopped the consent on the dashboard is not paid by a later release', async () => {
    const vrpPayee = payee('40000050000088', 'Held VRP Payee');
    const { consentId, psuToken } = await fixtures.vrpConsent('alice', debtor!, vrpPayee);
    const held = await fixtures.vrp(psuToken, consentId, vrpPayee, '20.00', 'HELD-THEN-STOPPED');
    expect(held.body.Data.Status).toBe('PDNG');
    const heldId = jsonString(held.body.Data.DomesticVRPId);
    const csrf = await csrfOf('/dashboard/payments', alice);
    const stopped = await post(`/dashboard/payments/${consentId}/revoke`, new URLSearchParams({ csrf }).toString(), alice);
    expect(stopped.headers.get('location')).toBe('/dashboard/payments?notice=revoked');
    expect((await fixtures.vrp(psuToken, consentId, vrpPayee, '5.00', 'AFTER-STOP')).status).toBe(401);
    const before = await fixtures.available(debtor!.accountId);

    const adminCsrf = await csrfOf('/admin-console/payment-reviews', admin);
    const released = await post(`/admin-console/payment-reviews/${heldId}/release`, new URLSearchParams({ csrf: adminCsrf, reason: 'Looks fine' }).toString(), admin);
    const [row] = await h.dataSource.query(`SELECT status FROM vrp_payment WHERE payment_id = $1`, [heldId]);
    expect({ location: released.headers.get('location'), status: row.status, available: await fixtures.available(debtor!.accountId) }).toEqual({
      location: '/admin-console/payment-reviews?notice=conflict',
      status: 'PDNG',
      available: before,
    });
  });
});
