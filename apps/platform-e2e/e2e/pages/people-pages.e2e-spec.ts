import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { JSONWebKeySet } from 'jose';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { computeAuditEntryHash, verifyAuditSearchExport } from '@consentry/audit';
import { SandboxCredentials } from '@consentry/sandbox';
import { TestDatabase } from '@consentry/testing';

import { freshTotpCode as freshOtp, TppClient } from '../../../../scripts/journey.js';
import { ROOT } from '../../../../scripts/platform.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x50);
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

const PERMISSIONS = ['ReadAccountsDetail', 'ReadBalances', 'ReadTransactionsBasic', 'ReadTransactionsCredits', 'ReadTransactionsDebits'];
// More data reads than one page of the console holds (50), so paging has somewhere to go.
const DATA_READS = 55;

interface Entry {
  seq: string;
  eventId: string;
  type: string;
  occurredAt: string;
  consentId: string | null;
  event: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/**
 * The people's pages in a real browser: the PSU approves a consent on the auth server's pages, sees it
 * on the dashboard and revokes it there; the TPP is refused at once; an administrator finds the
 * revocation in the audit console, exports it and verifies the chain. The three apps run from their
 * builds, as `npm start` runs them.
 */
describe('people pages', () => {
  let platform: TestPlatform;
  let db: TestDatabase;
  let profileDir: string;
  let apps: TestPlatform['apps'];
  let sandbox: SandboxCredentials;
  let env: Record<string, string>;
  let tpp: TppClient;
  let browser: BrowserContext;
  let page: Page;
  let output: string[];

  let consentId: string;
  let accessToken: string;
  let psuSessionToken: string;

  const alice = () => sandbox.psus[0]!;
  const api = (path: string) => `${env.API_URL}${path}`;
  const heading = () => page.getByRole('heading', { level: 1 }).innerText();
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    profileDir = await mkdtemp(join(tmpdir(), 'consentry-chromium-'));
    await mkdir(SCREENSHOTS, { recursive: true });
    const [started, context] = await Promise.all([
      startTestPlatform('pages', { secretsKey: SECRETS_KEY, transactionsPerAccount: 10, seed: 11 }),
      // Debian's chromium, a fresh profile, nothing phoning home (playwright adds --headless).
      chromium.launchPersistentContext(profileDir, {
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        headless: true,
        acceptDownloads: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      }),
    ]);
    platform = started;
    ({ db, apps, sandbox, env, tpp, output } = platform);
    browser = context;
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  async function auditTypes(where: string, params: unknown[]): Promise<string[]> {
    const rows: Array<{ event_type: string }> = await db.dataSource.query(`SELECT event_type FROM audit_log WHERE ${where} ORDER BY seq`, params);
    return rows.map((r) => r.event_type);
  }

  it('lets the PSU approve the consent in the browser on the auth server pages', async () => {
    const cc = await tpp.clientCredentialsToken();
    const created = await tpp.createConsent(cc.access_token, PERMISSIONS, new Date(Date.now() + 7 * 86_400_000).toISOString());
    expect(created.status).toBe(201);
    consentId = created.body.Data.ConsentId;
    const request = await tpp.pushAuthorizationRequest(consentId);

    // The TPP's redirect_uri is not a real site: the browser hands the redirect back to the test.
    const redirectUri = sandbox.tpp.redirect_uris[0]!;
    let redirected: URL | undefined;
    await browser.route(`${new URL(redirectUri).origin}/**`, async (route) => {
      redirected = new URL(route.request().url());
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the TPP' });
    });

    await page.goto(request.url.toString());
    expect(await heading()).toBe('Sign in to your bank');
    await page.getByLabel('Username').fill(alice().username);
    await page.getByLabel('Password').fill(alice().password);
    await page.getByLabel('One-time code').fill(await freshOtp(alice().totpSecret));
    await shot('01-auth-server-login');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.locator('input[name="accountIds"]').first().waitFor();
    expect(await heading()).toContain(sandbox.tpp.client_name);
    const [first, second] = alice().accounts;
    await page.locator(`input[name="accountIds"][value="${first!.accountId}"]`).check();
    await page.locator(`input[name="accountIds"][value="${second!.accountId}"]`).check();
    await shot('02-auth-server-consent');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => redirected?.searchParams.has('code') ?? false, { timeout: 10_000 }).toBe(true);
    expect(redirected!.searchParams.get('error')).toBeNull();

    const tokens = await tpp.exchangeCode(redirected!, request);
    accessToken = tokens.access_token;
    // Five at a time: each read carries its own DPoP proof.
    for (let done = 0; done < DATA_READS; done += 5) {
      const batch = Array.from({ length: Math.min(5, DATA_READS - done) }, () => tpp.api(accessToken, 'GET', '/open-banking/v4.0/aisp/accounts'));
      expect((await Promise.all(batch)).map((r) => r.status)).toEqual(batch.map(() => 200));
    }
  });

  it('shows the PSU every consent on the dashboard after password and TOTP', async () => {
    await page.goto(api('/dashboard'));
    expect(page.url()).toBe(api('/dashboard/login'));
    expect(await heading()).toBe('Sign in to see your connected apps');
    await page.getByLabel('Username').fill(alice().username);
    await page.getByLabel('Password').fill(alice().password);
    await page.getByLabel('One-time code').fill(await freshOtp(alice().totpSecret));
    await shot('03-dashboard-login');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL(api('/dashboard'));
    expect(await heading()).toBe('Apps you share your accounts with');
    const card = page.getByRole('region', { name: sandbox.tpp.client_name });
    const text = await card.innerText();
    expect(text).toContain('Active');
    expect(text).toContain('Your balances');
    expect(text).toContain('Your transactions');
    expect(text).toContain('Everyday · Northwind Bank');
    expect(text).toContain('Rainy day · Northwind Bank');
    expect(text).not.toContain('Joint bills');
    expect(text).toContain(consentId);
    // Last access comes from the chained audit log: the TPP's reads above reach it within moments.
    await expect
      .poll(async () => {
        await page.reload();
        return card.getByText('Never used').count();
      }, { timeout: 15_000 })
      .toBe(0);
    await shot('04-dashboard');

    const html = await page.content();
    const numbers: Array<{ identification: string }> = await db.dataSource.query(`SELECT identification FROM account WHERE psu_id = (SELECT psu_id FROM psu WHERE username = $1)`, [alice().username]);
    for (const { identification } of numbers) expect(html).not.toContain(identification);

    const cookies = await browser.cookies(api('/dashboard'));
    const session = cookies.find((c) => c.name === 'consentry-dashboard');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    psuSessionToken = session!.value;
  });

  it('refuses a dashboard form without the session CSRF token', async () => {
    const forged = await page.request.post(api(`/dashboard/consents/${consentId}/revoke`), { form: { csrf: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(forged.headers()['content-type']).toMatch(/^text\/html/);
    const [row] = await db.dataSource.query(`SELECT status FROM account_access_consent WHERE consent_id = $1`, [consentId]);
    expect(row.status).toBe('AUTH');
  });

  it('revokes the consent from the dashboard, and the TPP is refused on its next call', async () => {
    await page.getByRole('button', { name: `Revoke access for ${sandbox.tpp.client_name}` }).click();
    await page.waitForURL(api('/dashboard?notice=revoked'));
    expect(await page.getByRole('status').innerText()).toBe('Access withdrawn. The app can no longer see your information.');
    const card = page.getByRole('region', { name: sandbox.tpp.client_name });
    expect(await card.innerText()).toContain('Withdrawn');
    expect(await card.getByRole('button', { name: /Revoke/ }).count()).toBe(0);
    await shot('05-dashboard-revoked');

    const [row] = await db.dataSource.query(`SELECT status FROM account_access_consent WHERE consent_id = $1`, [consentId]);
    expect(row.status).toBe('CANC');
    const after = await tpp.api(accessToken, 'GET', '/open-banking/v4.0/aisp/accounts');
    expect([401, 403]).toContain(after.status);
    expect(after.body.Errors[0].ErrorCode).toEqual(expect.any(String));
  });

  it('pages the dashboard\'s consents newest first, twenty at a time, counting all of them in its summary', async () => {
    // Twenty-five older consents, ended long ago: with the ones above they take two pages.
    await db.dataSource.query(
      `INSERT INTO account_access_consent (consent_id, client_id, psu_id, status, permissions, creation_date_time, status_update_date_time, expiration_date_time)
       SELECT 'aac-' || gen_random_uuid(), $1, (SELECT psu_id FROM psu WHERE username = $2), 'EXPD', $3::text[],
              now() - n * interval '1 day', now() - n * interval '1 day', now() - n * interval '1 day' + interval '1 hour'
         FROM generate_series(1, 25) n`,
      [sandbox.tpp.client_id, alice().username, PERMISSIONS],
    );
    const all: Array<{ consent_id: string; live: boolean }> = await db.dataSource.query(
      `SELECT consent_id, status = 'AUTH' AND (expiration_date_time IS NULL OR expiration_date_time > now()) AS live
         FROM account_access_consent WHERE psu_id = (SELECT psu_id FROM psu WHERE username = $1)
        ORDER BY creation_date_time DESC, consent_id DESC`,
      [alice().username],
    );
    expect(all.length).toBeGreaterThan(25);
    const live = all.filter((c) => c.live).length;
    const cards = () => page.locator('ul.consents > li').allInnerTexts();

    await page.goto(api('/dashboard'));
    expect(await page.locator('main p', { hasText: 'ended.' }).innerText()).toBe(`${live} active, ${all.length - live} ended. Revoke access at any time: the app is refused from its very next request.`);
    const first = await cards();
    expect(first).toHaveLength(20);
    expect(await page.getByRole('link', { name: 'Newest consents' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Older consents' }).click();
    await page.waitForURL((url) => url.searchParams.has('cursor'));
    const second = await cards();
    expect(second).toHaveLength(all.length - 20);
    expect(await page.getByRole('link', { name: 'Older consents' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Newest consents' }).count()).toBe(1);
    // Every consent once, newest first, across the two pages.
    const shown = [...first, ...second];
    all.forEach((consent, i) => expect(shown[i]).toContain(consent.consent_id));
    // A cursor the dashboard did not issue: 400, no page of anyone's consents.
    const forged = Buffer.from(JSON.stringify(['soon', 'aac-x'])).toString('base64url');
    expect((await page.goto(api(`/dashboard?cursor=${forged}`)))?.status()).toBe(400);
    expect((await page.goto(api('/dashboard?cursor=not*valid')))?.status()).toBe(400);
  });

  it('keeps PSU credentials and PSU sessions out of the admin console', async () => {
    await page.goto(api('/admin-console/events'));
    expect(page.url()).toBe(api('/admin-console/login'));
    await page.getByLabel('Username').fill(alice().username);
    await page.getByLabel('Password').fill(alice().password);
    await page.getByLabel('One-time code').fill('123456');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').innerText()).toBe('The username, password or one-time code is not correct.');

    // The PSU's live session token, planted in the console's cookie, opens nothing.
    await browser.addCookies([{ name: 'consentry-admin-console', value: psuSessionToken, domain: 'localhost', path: '/', httpOnly: true, sameSite: 'Strict' }]);
    await page.goto(api('/admin-console/events'));
    expect(page.url()).toBe(api('/admin-console/login'));
    await browser.clearCookies({ name: 'consentry-admin-console' });
    for (const [method, path] of [['POST', '/admin/audit-chain/verify'], ['GET', '/admin/audit-events/export?format=csv']] as const) {
      const response = await fetch(api(path), { method, headers: { authorization: `Bearer ${psuSessionToken}` } });
      expect(response.status).toBe(401);
    }
  });

  it('finds the revocation in the admin console by consent id, and pages through the reads', async () => {
    await page.getByLabel('Username').fill(sandbox.admin.username);
    await page.getByLabel('Password').fill(sandbox.admin.password);
    await page.getByLabel('One-time code').fill(await freshOtp(sandbox.admin.totpSecret));
    await shot('06-admin-console-login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(api('/admin-console/events'));
    expect(await heading()).toBe('Audit trail');

    await page.getByLabel('Consent id').fill(consentId);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/consentId=/);
    const revoked = page.getByRole('row').filter({ hasText: 'consent.revoked' });
    await expect
      .poll(async () => {
        await page.reload();
        return revoked.count();
      }, { timeout: 15_000 })
      .toBe(1);
    // Newest first: the revocation tops a full first page of this consent's events.
    expect(await page.locator('tbody tr').count()).toBe(50);
    expect(await page.locator('tbody tr').first().innerText()).toContain('consent.revoked');

    // Narrowed to the revocation: one row, naming the PSU who revoked.
    await page.getByLabel('Event type').selectOption('consent.revoked');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/type=consent\.revoked/);
    expect(await page.locator('tbody tr').count()).toBe(1);
    const [psu] = await db.dataSource.query(`SELECT psu_id FROM psu WHERE username = $1`, [alice().username]);
    expect(await revoked.innerText()).toContain(consentId);
    expect(await revoked.innerText()).toContain(`psu: ${psu.psu_id}`);
    await shot('07-admin-console-search');

    // Keyset paging over the TPP's reads of this consent: 50 newest, then the older ones, then back.
    await page.getByLabel('Event type').selectOption('data.accessed');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/type=data\.accessed/);
    const rows = page.locator('tbody tr');
    const seqs = async () => (await rows.locator('td:first-child').allInnerTexts()).map(Number);
    const newest = await seqs();
    expect(newest).toHaveLength(50);
    expect(newest).toEqual([...newest].sort((a, b) => b - a));
    expect(await page.getByRole('link', { name: 'Previous page (newer events)' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Next page (older events)' }).click();
    await page.waitForURL(/before=/);
    const older = await seqs();
    expect(older).toHaveLength(DATA_READS - 50);
    expect(Math.max(...older)).toBeLessThan(Math.min(...newest));
    expect(await page.getByRole('link', { name: 'Next page (older events)' }).count()).toBe(0);
    await shot('08-admin-console-older-page');
    await page.getByRole('link', { name: 'Previous page (newer events)' }).click();
    await page.waitForURL(/after=/);
    expect(await seqs()).toEqual(newest);
  });

  it('exports the search as CSV and NDJSON', async () => {
    await page.goto(api(`/admin-console/events?consentId=${encodeURIComponent(consentId)}`));
    const expected: Array<{ seq: string; event_type: string }> = await db.dataSource.query(
      `SELECT l.seq::text AS seq, l.event_type FROM audit_log l WHERE l.consent_id = $1 ORDER BY l.seq`,
      [consentId],
    );
    expect(expected.length).toBeGreaterThanOrEqual(DATA_READS + 3);

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(csvDownload.suggestedFilename()).toMatch(/^audit-events-\d{8}T\d{6}Z\.csv$/);
    const csv = (await readFile((await csvDownload.path())!, 'utf8')).split('\r\n').filter(Boolean);
    expect(csv[0]).toBe('seq,event_id,type,occurred_at,recorded_at,actor_type,actor_id,client_id,psu_id,consent_id,interaction_id,data,prev_hash,hash');
    expect(csv.slice(1).map((line) => line.split(',')[0])).toEqual(expected.map((e) => e.seq));
    const revokedLine = csv.find((line) => line.split(',')[2] === 'consent.revoked');
    expect(revokedLine).toContain(consentId);
    expect(revokedLine).toContain(',psu,');

    const [ndjsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export NDJSON' }).click()]);
    expect(ndjsonDownload.suggestedFilename()).toMatch(/\.ndjson$/);
    const ndjsonFile = (await ndjsonDownload.path())!;
    const lines = (await readFile(ndjsonFile, 'utf8')).split('\n').filter(Boolean);
    // The last line is the bank's signed trailer: the file alone proves it is whole, with the API's public keys.
    const trailer = JSON.parse(lines.pop()!) as { kind: string; rows: number; filter: unknown };
    expect(trailer).toMatchObject({ kind: 'consentry.audit-search-export', rows: expected.length, filter: { consentId } });
    const jwks = (await (await fetch(api('/.well-known/message-signing-jwks.json'))).json()) as JSONWebKeySet;
    await expect(verifyAuditSearchExport(ndjsonFile, jwks)).resolves.toMatchObject({ ok: true, summary: { rows: expected.length } });
    const entries = lines.map((line) => JSON.parse(line) as Entry);
    expect(entries.map((e) => [e.seq, e.type])).toEqual(expected.map((e) => [e.seq, e.event_type]));
    expect(entries.every((e) => e.consentId === consentId)).toBe(true);
    // Each exported entry carries exactly what was hashed: its hash recomputes from the export alone.
    for (const entry of entries) {
      expect(computeAuditEntryHash(entry.prevHash, { seq: BigInt(entry.seq), eventId: entry.eventId, type: entry.type, occurredAt: entry.occurredAt, event: entry.event })).toBe(entry.hash);
    }
  });

  it('verifies the chain from the console and shows it intact', async () => {
    await page.getByRole('button', { name: 'Verify the audit chain' }).click();
    await page.waitForURL(api('/admin-console/audit-chain/verify'));
    expect(await heading()).toBe('Audit chain verification');
    expect(await page.getByRole('status').innerText()).toMatch(/^The audit chain is intact: \d+ entries verified\.$/);
    await shot('09-admin-console-verification');
  });

  it('audits the admin actions: sign-in, every search, both exports and the verification', async () => {
    const [admin] = await db.dataSource.query(`SELECT admin_id FROM admin_user WHERE username = $1`, [sandbox.admin.username]);
    await expect
      .poll(async () => (await auditTypes(`event->'actor'->>'id' = $1 AND event_type LIKE 'audit.%'`, [admin.admin_id])).filter((type) => type !== 'audit.searched'), {
        timeout: 15_000,
      })
      .toEqual(['audit.exported', 'audit.exported', 'audit.verified']);
    // PCI DSS 10.2.1.3: each page of the console's search is audited with its filter.
    const searches: Array<{ event: { data: { channel: string; filter: Record<string, string>; results: number } } }> = await db.dataSource.query(
      `SELECT event FROM audit_log WHERE event_type = 'audit.searched' AND event->'actor'->>'id' = $1 ORDER BY seq`,
      [admin.admin_id],
    );
    expect(searches.length).toBeGreaterThan(0);
    expect(searches.every((row) => row.event.data.channel === 'console')).toBe(true);
    expect(searches.some((row) => row.event.data.filter.consentId === consentId && row.event.data.results > 0)).toBe(true);
    const rows: Array<{ event: { data: Record<string, unknown> } }> = await db.dataSource.query(
      `SELECT event FROM audit_log WHERE event_type = 'audit.exported' ORDER BY seq`,
    );
    expect(rows.map((r) => r.event.data)).toEqual([
      expect.objectContaining({ format: 'csv', channel: 'console', filter: { consentId } }),
      expect.objectContaining({ format: 'ndjson', channel: 'console', filter: { consentId } }),
    ]);
    expect(await auditTypes(`event_type = 'admin.login.succeeded' AND event->'actor'->>'id' = $1`, [admin.admin_id])).toHaveLength(1);
  });

  it('serves the export and the chain verification on the admin API to admin sessions', async () => {
    const signIn = await fetch(api('/admin/sessions'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: sandbox.admin.username, password: sandbox.admin.password, otp: await freshOtp(sandbox.admin.totpSecret) }),
    });
    expect(signIn.status).toBe(201);
    const { accessToken: adminToken } = (await signIn.json()) as { accessToken: string };
    const auth = { authorization: `Bearer ${adminToken}` };

    const exported = await fetch(api(`/admin/audit-events/export?format=ndjson&type=consent.revoked&consentId=${consentId}`), { headers: auth });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(exported.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-events-.+\.ndjson"$/);
    const lines = (await exported.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Entry & { kind?: string });
    expect(lines.pop()).toMatchObject({ kind: 'consentry.audit-search-export', rows: 1 });
    expect(lines.map((e) => [e.type, e.consentId])).toEqual([['consent.revoked', consentId]]);

    const badFormat = await fetch(api('/admin/audit-events/export?format=xml'), { headers: auth });
    expect(badFormat.status).toBe(400);

    const verified = await fetch(api('/admin/audit-chain/verify'), { method: 'POST', headers: auth });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({ intact: true, entries: expect.any(Number), headHash: expect.stringMatching(/^[0-9a-f]{64}$/), firstBrokenSeq: null });
  });

  it('sends every page with a strict CSP, no-store, and no script', async () => {
    for (const path of ['/dashboard/login', '/admin-console/login']) {
      const response = await fetch(api(path));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-security-policy')).toBe(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      );
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      const setCookie = response.headers.getSetCookie().join('\n');
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Strict/);
      expect(await response.text()).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
    }
  });

  it('signs a PSU out at the auth server in the browser, session or not, to a page that says so', async () => {
    // The sign-out page submits its form with an inline script whose hash the policy names. Until 7
    // December 2026 the policy was set too late for the hash: Chromium blocked the script and left the
    // PSU on a blank page.
    const blocked: string[] = [];
    const onConsole = (message: { text(): string }) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    };
    page.on('console', onConsole);
    try {
      // Signed in since the journey above: the page asks first.
      await page.goto(`${env.AUTH_SERVER_URL}/session/end`);
      await page.getByRole('button', { name: 'Yes, sign me out' }).click();
      await page.waitForURL(/\/session\/end\/success/);
      expect(await page.locator('body').innerText()).toContain('You are signed out');
      // Signed out: nothing to ask, the page's script goes on by itself.
      await page.goto(`${env.AUTH_SERVER_URL}/session/end`);
      await page.waitForURL(/\/session\/end\/success/);
      expect(await page.locator('body').innerText()).toContain('You are signed out');
      expect(blocked).toEqual([]);
      const policy = (await fetch(`${env.AUTH_SERVER_URL}/session/end`)).headers.get('content-security-policy') ?? '';
      // Its own script's hash, and no other script.
      expect(policy).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    } finally {
      page.off('console', onConsole);
    }
  });

  it('kept every app healthy, with no unexpected error logged', () => {
    expect(output.filter((line) => /"level":\s*(50|60)|\bERROR\b|Unhandled|stack/i.test(line))).toEqual([]);
    for (const child of apps.children) expect(child.exitCode).toBeNull();
  });
});
