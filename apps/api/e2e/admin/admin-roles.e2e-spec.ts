import { ADMIN_ROLES, AdminRole, ChangeAdminRoles, ChangeAdminRolesCommand } from '@consentry/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { NEW_PAYEE_RULES, riskFiles } from '../support/risk-fixtures.js';

interface RefusalEvent {
  actor: { type: string; id: string };
  data: { channel: string; method: string; route: string; requiredRole: string; roles: string[] };
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Least privilege for bank administrators: each admin route needs its role, read again on every request. */
describe('admin roles: the admin API and the console answer each admin by the roles it holds now', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let debtor: PsuAccount;
  let files: Awaited<ReturnType<typeof riskFiles>>;
  let held: string;
  let adminId: string;
  let reviewerId: string;

  beforeAll(async () => {
    files = await riskFiles(NEW_PAYEE_RULES);
    h = await ApiHarness.start('admin_roles', files.env);
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice', 1);
    await fixtures.setBalance(debtor!.accountId, '5000.00');
    const payee = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '50000050000002', Name: 'Roofer' };
    held = jsonString((await fixtures.domesticPayment('alice', debtor!, payee, '1500.00', 'ROLES-1')).paid.body.Data.DomesticPaymentId);
    [adminId, reviewerId] = await Promise.all(['admin', 'reviewer'].map(async (u) => (await h.dataSource.query(`SELECT admin_id FROM admin_user WHERE username = $1`, [u]))[0].admin_id as string));
  });
  afterAll(async () => {
    await h?.stop();
    await files?.remove();
  });

  /** Gives `username` exactly `roles`, as an operator does (npm run admin:roles runs this use case). */
  function setRoles(username: string, roles: AdminRole[]) {
    return new ChangeAdminRoles(h.dataSource).execute(new ChangeAdminRolesCommand({ username, grant: roles, revoke: ADMIN_ROLES.filter((role) => !roles.includes(role)) }));
  }

  async function bearer(who: 'admin' | 'reviewer'): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await h.adminSession(who)}` };
  }

  async function refusals(channel: 'api' | 'console'): Promise<RefusalEvent[]> {
    const rows: Array<{ event: RefusalEvent }> = await h.dataSource.query(
      `SELECT event FROM audit_outbox WHERE event->>'type' = 'admin.access-refused' AND event->'data'->>'channel' = $1 ORDER BY created_seq`,
      [channel],
    );
    return rows.map((row) => row.event);
  }

  async function countOf(type: string): Promise<number> {
    const [row] = await h.dataSource.query(`SELECT count(*)::int AS n FROM audit_outbox WHERE event->>'type' = $1`, [type]);
    return row.n as number;
  }

  function expectForbidden(result: CallResult, role: AdminRole): void {
    expect(result.status).toBe(403);
    expect(result.body).toEqual({ error: 'forbidden', message: `This needs the administrator role ${role}, which this administrator does not hold` });
  }

  /** A console request with the admin's session token in the console's cookie, redirects not followed. */
  async function consolePage(path: string, who: 'admin' | 'reviewer', form?: Record<string, string>): Promise<{ status: number; location: string | null; html: string }> {
    const cookie = `consentry-admin-console=${await h.adminSession(who)}`;
    const response = await fetch(`${h.api.url}/admin-console${path}`, {
      method: form ? 'POST' : 'GET',
      headers: form ? { ...FORM, cookie } : { cookie },
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: 'manual',
    });
    return { status: response.status, location: response.headers.get('location'), html: await response.text() };
  }

  /** The links of the console's navigation bar. */
  function navLinks(html: string): string[] {
    const nav = /<nav class="pager" aria-label="Console">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '';
    return [...nav.matchAll(/href="([^"]+)"/g)].map((match) => match[1]!);
  }

  function csrfOf(html: string): string {
    return /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  }

  it('seeds the sandbox admin with every role and the four-eyes reviewer with payment-reviewer alone', async () => {
    expect(await h.dataSource.query(`SELECT username, roles FROM admin_user ORDER BY username`)).toEqual([
      { username: 'admin', roles: ['auditor', 'payment-reviewer', 'tpp-manager', 'ledger-operator'] },
      { username: 'reviewer', roles: ['payment-reviewer'] },
    ]);
  });

  it('lets an auditor search, export and verify the audit trail, and answers TPPs, payments, reviews and the ledger 403, audited, with nothing changed', async () => {
    await setRoles('admin', ['auditor']);
    const auth = await bearer('admin');
    expect((await h.call('GET', '/admin/audit-events?limit=5', { headers: auth })).status).toBe(200);
    const exported = await h.call('GET', '/admin/audit-events/export?format=ndjson', { headers: auth });
    expect(exported.status).toBe(200);
    expect((await h.call('POST', '/admin/audit-chain/verify', { headers: auth })).status).toBe(200);

    expectForbidden(await h.call('GET', '/admin/tpps', { headers: auth }), 'tpp-manager');
    expectForbidden(await h.call('POST', `/admin/tpps/${h.clientId}/suspend`, { headers: auth, body: { reason: 'Suspected misuse of data' } }), 'tpp-manager');
    expectForbidden(await h.call('POST', `/admin/payment-reviews/${held}/release`, { headers: auth, body: { reason: 'Customer confirmed by phone' } }), 'payment-reviewer');
    expectForbidden(await h.call('GET', '/admin/payment-reviews', { headers: auth }), 'payment-reviewer');
    expectForbidden(await h.call('GET', `/admin/payments/${held}`, { headers: auth }), 'payment-reviewer');
    expectForbidden(await h.call('POST', `/admin/ledger/accounts/${debtor!.accountId}/close`, { headers: auth }), 'ledger-operator');

    const [tpp] = await h.dataSource.query(`SELECT status FROM tpp WHERE client_id = $1`, [h.clientId]);
    expect(tpp.status).toBe('Active');
    const [review] = await h.dataSource.query(`SELECT review_status FROM payment_risk_assessment WHERE payment_id = $1`, [held]);
    expect(review.review_status).toBe('held');
    const [account] = await h.dataSource.query(`SELECT status FROM account WHERE account_id = $1`, [debtor!.accountId]);
    expect(account.status).toBe('Enabled');

    const events = await refusals('api');
    expect(events.map((event) => `${event.data.method} ${event.data.route} ${event.data.requiredRole}`)).toEqual([
      'GET /admin/tpps tpp-manager',
      'POST /admin/tpps/:clientId/suspend tpp-manager',
      'POST /admin/payment-reviews/:paymentId/release payment-reviewer',
      'GET /admin/payment-reviews payment-reviewer',
      'GET /admin/payments/:PaymentId payment-reviewer',
      'POST /admin/ledger/accounts/:accountId/close ledger-operator',
    ]);
    expect(events[1]).toEqual({
      eventId: expect.any(String),
      type: 'admin.access-refused',
      occurredAt: expect.any(String),
      actor: { type: 'admin', id: adminId },
      interactionId: expect.any(String),
      data: { channel: 'api', method: 'POST', route: '/admin/tpps/:clientId/suspend', requiredRole: 'tpp-manager', roles: ['auditor'] },
    });
    // The pattern, never the request: no reason, no token, no id from the path.
    const text = JSON.stringify(events);
    for (const secret of ['Suspected misuse', 'Customer confirmed', auth.authorization!.slice(7), held, debtor!.accountId]) expect(text).not.toContain(secret);
  });

  it('lets the reviewer decide a held payment, and answers its search, export and verification of the audit trail 403', async () => {
    const auth = await bearer('reviewer');
    const queue = await h.call('GET', '/admin/payment-reviews', { headers: auth });
    expect(queue.status).toBe(200);
    expect(queue.body.reviews).toMatchObject([{ paymentId: held, reviewStatus: 'held' }]);
    const released = await h.call('POST', `/admin/payment-reviews/${held}/release`, { headers: auth, body: { reason: 'Customer confirmed by phone' } });
    expect(released.status).toBe(200);
    expect(released.body).toEqual({ outcome: 'released', paymentId: held, status: 'ACSP', statusReason: null });

    const [exports, verifications] = [await countOf('audit.exported'), await countOf('audit.verified')];
    expectForbidden(await h.call('GET', '/admin/audit-events', { headers: auth }), 'auditor');
    expectForbidden(await h.call('GET', '/admin/audit-events/export?format=csv', { headers: auth }), 'auditor');
    expectForbidden(await h.call('POST', '/admin/audit-chain/verify', { headers: auth }), 'auditor');
    expect([await countOf('audit.exported'), await countOf('audit.verified')]).toEqual([exports, verifications]);
    expect((await refusals('api')).slice(-3).map((event) => [event.actor.id, event.data.roles])).toEqual([
      [reviewerId, ['payment-reviewer']],
      [reviewerId, ['payment-reviewer']],
      [reviewerId, ['payment-reviewer']],
    ]);
  });

  it('takes a role away at the very next request of the same session, and gives it back the same way', async () => {
    await setRoles('admin', [...ADMIN_ROLES]);
    const auth = await bearer('admin');
    expect((await h.call('GET', '/admin/tpps', { headers: auth })).status).toBe(200);

    const revoked = await new ChangeAdminRoles(h.dataSource).execute(new ChangeAdminRolesCommand({ username: 'admin', revoke: ['tpp-manager'] }));
    expect(revoked).toEqual({ adminId, before: [...ADMIN_ROLES], roles: ['auditor', 'payment-reviewer', 'ledger-operator'], changed: true });
    expectForbidden(await h.call('GET', '/admin/tpps', { headers: auth }), 'tpp-manager');
    // The session itself lives on: the other roles still answer.
    expect((await h.call('GET', '/admin/payments', { headers: auth })).status).toBe(200);

    await new ChangeAdminRoles(h.dataSource).execute(new ChangeAdminRolesCommand({ username: 'admin', grant: ['tpp-manager'] }));
    expect((await h.call('GET', '/admin/tpps', { headers: auth })).status).toBe(200);
    const [changed] = await h.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'type' = 'admin.roles-changed' ORDER BY created_seq DESC LIMIT 1`);
    expect(changed.event).toMatchObject({
      actor: { type: 'system', id: 'admin-roles' },
      data: { adminId, granted: ['tpp-manager'], revoked: [], roles: [...ADMIN_ROLES] },
    });
  });

  it('shows the reviewer only the pages of its role in the console, and answers the audit pages with a 403 page, audited', async () => {
    const start = await consolePage('', 'reviewer');
    expect([start.status, start.location]).toEqual([303, '/admin-console/payments']);
    const reviews = await consolePage('/payment-reviews', 'reviewer');
    expect(reviews.status).toBe(200);
    expect(navLinks(reviews.html)).toEqual(['/admin-console/payments', '/admin-console/payment-reviews']);
    expect(reviews.html).not.toContain('/admin-console/events');

    const events = await consolePage('/events', 'reviewer');
    expect(events.status).toBe(403);
    expect(events.html).toContain('<h1>Not available to you</h1>');
    expect(events.html).toContain('This page needs the administrator role “auditor”');
    const exports = await countOf('audit.exported');
    const exported = await consolePage('/events/export', 'reviewer', { csrf: csrfOf(reviews.html), format: 'csv' });
    expect(exported.status).toBe(403);
    expect(exported.html).toContain('<h1>Not available to you</h1>');
    expect(await countOf('audit.exported')).toBe(exports);
    expect((await refusals('console')).map((event) => [event.actor.id, event.data.method, event.data.route, event.data.requiredRole])).toEqual([
      [reviewerId, 'GET', '/admin-console/events', 'auditor'],
      [reviewerId, 'POST', '/admin-console/events/export', 'auditor'],
    ]);
  });

  it('shows an auditor only the audit trail in the console, refuses the payment pages, and starts an admin without a console role on a page that says so', async () => {
    await setRoles('admin', ['auditor']);
    const start = await consolePage('', 'admin');
    expect([start.status, start.location]).toEqual([303, '/admin-console/events']);
    const events = await consolePage('/events', 'admin');
    expect(events.status).toBe(200);
    expect(navLinks(events.html)).toEqual(['/admin-console/events']);
    expect(events.html).not.toContain('/admin-console/payments');
    expect((await consolePage('/payments', 'admin')).status).toBe(403);
    expect((await consolePage('/payment-reviews', 'admin')).status).toBe(403);
    const decided = await consolePage(`/payment-reviews/${held}/reject`, 'admin', { csrf: csrfOf(events.html), reason: 'Not mine to decide' });
    expect(decided.status).toBe(403);

    await setRoles('admin', ['tpp-manager', 'ledger-operator']);
    const none = await consolePage('', 'admin');
    expect(none.status).toBe(200);
    expect(none.html).toContain('<h1>Nothing to show</h1>');
    expect(navLinks(none.html)).toEqual([]);
    expect(none.html).toContain('<strong>tpp-manager</strong>');
    expect((await consolePage('/events', 'admin')).status).toBe(403);
    await setRoles('admin', [...ADMIN_ROLES]);
  });
});
