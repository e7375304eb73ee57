import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { generateMessageSigningJwk } from '@consentry/message-signing';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness } from '../support/api-harness.js';

// Production takes its message-signing keys from a file (written in beforeAll) and names its issuer.
const keysDir = await mkdtemp(join(tmpdir(), 'consentry-docs-keys-'));
const MESSAGE_SIGNING_JWKS_FILE = join(keysDir, 'message-signing.json');

const ADMIN_PATH = /^\/admin(-console)?(\/|$)/;
// A client inside ADMIN_ALLOWED_CIDRS, as the trusted proxy on loopback names it.
const ADMIN_CLIENT = { 'x-forwarded-for': '10.1.2.3' };

/** The sha-256 CSP sources of a page's inline `<style>` elements and `style` attributes. */
function inlineStyleHashes(html: string): string[] {
  const blocks = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g), ...html.matchAll(/\sstyle="([^"]*)"/g)].map((match) => match[1]!);
  return blocks.map((css) => `'sha256-${createHash('sha256').update(css).digest('base64')}'`);
}

/**
 * The API's own documentation in production with DOCS_ENABLED: the public document and Swagger UI hold
 * no admin surface (outsiders get the same 404 for every admin path, so the document must not list them
 * either), the admin document answers only inside ADMIN_ALLOWED_CIDRS, and the UI's pages carry a CSP
 * that still lets Swagger UI run.
 */
describe('API docs in production: no admin paths, page headers, Swagger UI under its CSP', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    await writeFile(MESSAGE_SIGNING_JWKS_FILE, JSON.stringify({ keys: [await generateMessageSigningJwk()] }), { mode: 0o600 });
    h = await ApiHarness.start('docs_exposure', {
      CONSENTRY_MODE: 'production',
      ADMIN_ALLOWED_CIDRS: '10.0.0.0/8',
      TRUST_PROXY: '127.0.0.1/32',
      DOCS_ENABLED: 'true',
      API_URL: 'https://127.0.0.1:0',
      MESSAGE_SIGNING_JWKS_FILE,
      MESSAGE_SIGNING_ISS: 'docs-test-bank',
      // Production refuses a key that is not random bytes; these tests read no secret the seed encrypted.
      SECRETS_KEY: randomBytes(32).toString('base64'),
    });
  });
  afterAll(async () => {
    await h?.stop();
    await rm(keysDir, { recursive: true, force: true });
  });

  it('lists no admin API or admin console path in /docs-json, and names none in Swagger UI\'s script', async () => {
    const document = await h.call('GET', '/docs-json');
    expect(document.status).toBe(200);
    const paths = Object.keys(document.body.paths);
    expect(paths).toContain('/open-banking/v4.0/aisp/accounts');
    expect(paths).toContain('/customer/sessions');
    expect(paths.filter((path) => ADMIN_PATH.test(path))).toEqual([]);
    expect(JSON.stringify(document.body)).not.toMatch(/\/admin/);

    const init = await h.call('GET', '/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(String(init.body)).toContain('/open-banking/v4.0/aisp/accounts');
    expect(String(init.body)).not.toMatch(/\/admin/);
  });

  it('answers /admin/docs-json outside ADMIN_ALLOWED_CIDRS with the 404 of any hidden admin path', async () => {
    const shape = (body: unknown) => JSON.stringify(body, (key, value: unknown) => (key === 'Id' ? undefined : value));
    const hidden = await h.call('GET', '/admin/docs-json');
    const unknown = await h.call('GET', '/admin/no-such-route');
    expect(hidden.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(shape(hidden.body)).toBe(shape(unknown.body));
  });

  it('serves the admin surfaces\' own document inside ADMIN_ALLOWED_CIDRS, with nothing of the public one', async () => {
    const document = await h.call('GET', '/admin/docs-json', { headers: ADMIN_CLIENT });
    expect(document.status).toBe(200);
    expect(document.body.openapi).toMatch(/^3\./);
    expect(document.body.servers).toEqual([{ url: h.api.publicUrl }]);
    const paths = Object.keys(document.body.paths);
    for (const path of ['/admin/sessions', '/admin/audit-events/export', '/admin/audit-chain/verify', '/admin/tpps/{clientId}/suspend', '/admin/payment-reviews/{paymentId}/release']) {
      expect(paths, path).toContain(path);
    }
    expect(paths.filter((path) => !ADMIN_PATH.test(path))).toEqual([]);
    // Only the public document has a UI.
    expect((await h.call('GET', '/admin/docs', { headers: ADMIN_CLIENT })).status).toBe(404);
  });

  it('sends the docs pages with a CSP that allows only their own scripts and inline styles, no framing, no referrer', async () => {
    for (const path of ['/docs', '/docs/', '/docs/index.html']) {
      const page = await h.call('GET', path);
      expect(page.status, path).toBe(200);
      const csp = page.headers.get('content-security-policy') ?? '';
      const directives = new Map(csp.split(';').map((directive) => directive.trim().split(/\s+/)).map(([name, ...sources]) => [name!, sources]));
      expect(directives.get('default-src'), path).toEqual(["'none'"]);
      expect(directives.get('script-src'), path).toEqual(["'self'"]);
      expect(directives.get('frame-ancestors'), path).toEqual(["'none'"]);
      expect(directives.get('base-uri'), path).toEqual(["'none'"]);
      expect(directives.get('form-action'), path).toEqual(["'none'"]);
      expect(csp, path).not.toMatch(/unsafe-eval|unsafe-inline|\*/);
      // Exactly the page's inline styles, by hash.
      for (const hash of inlineStyleHashes(String(page.body))) expect(directives.get('style-src'), path).toContain(hash);
      expect(page.headers.get('x-frame-options'), path).toBe('DENY');
      expect(page.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(page.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    for (const path of ['/docs-json', '/docs/swagger-ui-init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']) {
      const answer = await h.call('GET', path);
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get('x-frame-options'), path).toBe('DENY');
      expect(answer.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });

  it('renders the operations in a real browser without a single CSP violation', async () => {
    const profileDir = await mkdtemp(join(tmpdir(), 'consentry-chromium-'));
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(20_000);
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      // Every violation event the page sees names what Swagger UI needed and the CSP refused.
      await page.exposeFunction('reportViolation', (violation: string) => problems.push(`CSP violation: ${violation}`));
      // A string: the page's code runs in the browser, and this project is type-checked without the DOM library.
      await page.addInitScript({
        content: "document.addEventListener('securitypolicyviolation', (event) => window.reportViolation([event.violatedDirective, event.blockedURI, event.sample].join(' ')));",
      });

      const answer = await page.goto(`${h.api.url}/docs`);
      expect(answer?.status()).toBe(200);
      await page.locator('.opblock').first().waitFor();
      const operations = page.locator('.opblock-summary-path');
      expect(await operations.count()).toBeGreaterThan(50);
      expect(await operations.allInnerTexts()).toContain('/open-banking/v4.0/aisp/accounts');
      expect(await page.locator('body').innerText()).not.toContain('/admin');
      // Swagger UI's stylesheet applied (same origin), and its inline page style (by hash).
      expect(await page.evaluate<string>('getComputedStyle(document.body).margin')).toBe('0px');
      expect(await page.evaluate<string>("getComputedStyle(document.querySelector('.swagger-ui .info .title')).fontSize")).toBe('36px');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    }
  });
});
