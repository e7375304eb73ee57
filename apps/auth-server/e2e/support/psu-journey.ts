import { SandboxPsuCredentials } from '@consentry/sandbox';

import { formOf, PageResponse, PsuBrowser } from './psu-browser.js';
import { nextTotpCode } from './totp-clock.js';

/** Fills the login form with the PSU's password and a fresh TOTP code; returns the next page. */
export async function signIn(browser: PsuBrowser, page: PageResponse, psu: SandboxPsuCredentials, password = psu.password): Promise<PageResponse> {
  const { action, csrf } = formOf(page.body, '/login');
  return browser.open(new URL(action, page.url), {
    method: 'POST',
    form: { csrf, username: psu.username, password, otp: await nextTotpCode(psu.totpSecret) },
  });
}

export async function approve(browser: PsuBrowser, page: PageResponse, accountIds: string[]): Promise<PageResponse> {
  const { action, csrf } = formOf(page.body, '/confirm');
  return browser.open(new URL(action, page.url), { method: 'POST', form: { csrf, accountIds } });
}

export async function deny(browser: PsuBrowser, page: PageResponse): Promise<PageResponse> {
  const { action, csrf } = formOf(page.body, '/abort');
  return browser.open(new URL(action, page.url), { method: 'POST', form: { csrf } });
}
