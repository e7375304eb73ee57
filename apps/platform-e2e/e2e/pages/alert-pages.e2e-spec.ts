import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SandboxCredentials } from '@consentry/sandbox';
import { MailCatcher, startMailCatcher, TestDatabase } from '@consentry/testing';

import { freshTotpCode as freshOtp } from '../../../../scripts/journey.js';
import { ROOT } from '../../../../scripts/platform.js';
import { launchPsuBrowser, PsuBrowser } from '../support/psu-browser.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x52);
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

/**
 * PSU alerts in Chromium against the three built apps: alice has her alerts page open; failed sign-ins
 * to her account (through the customer API) become an alert that appears on the page without a reload,
 * fed by the worker through Redis and the server-sent event stream, and is emailed (maildev).
 */
describe('alert pages', () => {
  let platform: TestPlatform;
  let db: TestDatabase;
  let sandbox: SandboxCredentials;
  let psu: PsuBrowser;
  let mail: MailCatcher;

  const api = (path: string) => `${platform.env.API_URL}${path}`;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    mail = await startMailCatcher();
    platform = await startTestPlatform('alertpages', { secretsKey: SECRETS_KEY, transactionsPerAccount: 1, seed: 29, env: { SMTP_URL: mail.smtpUrl, ALERT_EMAIL: 'on', ALERT_INTERVAL_MS: '100' } });
    ({ db, sandbox } = platform);
    psu = await launchPsuBrowser(sandbox.tpp.redirect_uris[0]!);
  });

  afterAll(async () => {
    await psu?.close();
    await platform?.stop();
    await mail?.stop();
  });

  it('shows a new alert live on the dashboard, without a reload, and emails it', async () => {
    const alice = sandbox.psus.find((p) => p.username === 'alice')!;
    const page = psu.page;
    await page.goto(api('/dashboard/login'));
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByLabel('One-time code').fill(await freshOtp(alice.totpSecret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(api('/dashboard'));
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Alerts' }).click();
    await page.waitForURL(api('/dashboard/alerts'));
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Your alerts');
    expect(await page.locator('#alert-unread').innerText()).toBe('0');
    // The stream is open before the alert is made (the script's EventSource connected).
    await page.locator('#alert-list[data-live="on"]').waitFor({ state: 'attached' });
    let loads = 0;
    page.on('load', () => (loads += 1));

    for (let attempt = 0; attempt < 3; attempt += 1) {
      const refused = await fetch(api('/customer/sessions'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'not-her-password', otp: '000000' }) });
      expect(refused.status).toBe(401);
    }

    const item = page.locator('#alert-list li', { hasText: 'Several failed sign-ins' });
    await item.waitFor();
    expect(await item.innerText()).toContain('There were 3 failed sign-ins to your account within 15 minutes.');
    expect(await page.locator('#alert-unread').innerText()).toBe('1');
    expect(loads).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-alert-live.png'), fullPage: true });

    // The email follows, and the audit log holds the order: the failures, the alert, the email.
    await expect.poll(async () => (await mail.mails()).length, { timeout: 30_000 }).toBe(1);
    const [sent] = await mail.mails();
    expect(sent!.to.map((to) => to.address)).toEqual([alice.email]);
    expect(sent!.subject).toBe('Consentry alert: Several failed sign-ins');
    const [aliceRow]: { psu_id: string }[] = await db.dataSource.query(`SELECT psu_id FROM psu WHERE username = 'alice'`);
    await expect
      .poll(async () => {
        const rows: { event_type: string }[] = await db.dataSource.query(
          `SELECT event_type FROM audit_log WHERE psu_id = $1 AND event_type IN ('psu.login.failed', 'alert.recorded', 'alert.emailed') ORDER BY seq`,
          [aliceRow!.psu_id],
        );
        return rows.map((row) => row.event_type);
      }, { timeout: 30_000 })
      .toEqual(['psu.login.failed', 'psu.login.failed', 'psu.login.failed', 'alert.recorded', 'alert.emailed']);

    // Marked read from the live item's own form.
    await item.getByRole('button', { name: 'Mark as read' }).click();
    await page.waitForURL(api('/dashboard/alerts?notice=read'));
    expect(await page.locator('#alert-unread').innerText()).toBe('0');
  });
});
