import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BrowserContext, chromium, Page } from 'playwright-core';

/** Chromium for one suite, playing the PSU: a fresh profile, and the TPP's redirect_uri answered in the test. */
export interface PsuBrowser {
  context: BrowserContext;
  page: Page;
  /** The last URL the auth server sent the browser back to at the TPP (cleared by `expectRedirect`). */
  readonly redirected: URL | undefined;
  /** Forgets the last redirect, before a journey whose ending is awaited. */
  expectRedirect(): void;
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium headless (never a downloaded browser) and routes every request to the
 * TPP's redirect origin back to the test, which reads it from `redirected`.
 */
export async function launchPsuBrowser(redirectUri: string): Promise<PsuBrowser> {
  const profileDir = await mkdtemp(join(tmpdir(), 'consentry-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  let redirected: URL | undefined;
  await context.route(`${new URL(redirectUri).origin}/**`, async (route) => {
    redirected = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the TPP' });
  });
  return {
    context,
    page,
    get redirected() {
      return redirected;
    },
    expectRedirect() {
      redirected = undefined;
    },
    async close() {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}
