import { SANDBOX_TPP, SandboxPsuCredentials } from '@consentry/sandbox';
import * as client from 'openid-client';

import { formOf, PageResponse, PsuBrowser } from './psu-browser.js';
import { nextTotpCode } from './totp-clock.js';
import { newDPoPHandle, pushAuthorization } from './tpp-client.js';

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

/** The sandbox TPP's PAR for the payment consent (scope `openid payments`), and `psu` signed in at its approval page. */
export async function paymentApprovalPage(config: client.Configuration, consentId: string, psu: SandboxPsuCredentials): Promise<{ browser: PsuBrowser; page: PageResponse }> {
  const request = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, consentId, 'openid payments');
  const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
  const page = await signIn(browser, await browser.open(request.url), psu);
  return { browser, page };
}

/** The text of a page's `<dd data-field="…">`, unescaped. */
export function pageField(page: PageResponse, name: string): string | undefined {
  const html = new RegExp(`<dd data-field="${name}">([^<]*)</dd>`).exec(page.body)?.[1];
  return html?.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
