import { SANDBOX_TPP } from '@consentry/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { newDPoPHandle, pushAuthorization, tppConfiguration } from '../support/tpp-client.js';

/**
 * X-Forwarded-Proto decides whether oidc-provider thinks the PSU came over https (its cookies are then
 * Secure). Only a proxy TRUST_PROXY names may say so; the same header from anyone else changes nothing.
 */
describe('proxy trust at the authorization server', () => {
  let untrusted: AuthServerFixture;
  let loopbackProxy: AuthServerFixture;

  beforeAll(async () => {
    [untrusted, loopbackProxy] = await Promise.all([
      startAuthServerFixture('proxy_untrusted', { TRUST_PROXY: '192.168.0.0/16' }),
      startAuthServerFixture('proxy_loopback', { TRUST_PROXY: '127.0.0.0/8' }),
    ]);
  });
  afterAll(async () => Promise.all([untrusted?.stop(), loopbackProxy?.stop()]));

  /** The cookies the provider sets when the PSU's browser opens the authorization URL. */
  async function interactionCookies(fixture: AuthServerFixture, headers: Record<string, string>): Promise<string[]> {
    const config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
    const request = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, await fixture.createConsent());
    // The server listens on localhost: connect to 127.0.0.1 explicitly so the peer is loopback.
    const url = new URL(request.url);
    url.hostname = '127.0.0.1';
    const response = await fetch(url, { headers, redirect: 'manual' });
    expect(response.status).toBe(303);
    const cookies = response.headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith('_interaction='))).toBe(true);
    return cookies;
  }

  it('ignores X-Forwarded-Proto from a peer that is not a trusted proxy', async () => {
    const cookies = await interactionCookies(untrusted, { 'x-forwarded-proto': 'https' });
    expect(cookies.filter((c) => /;\s*secure/i.test(c))).toEqual([]);
  });

  it('believes X-Forwarded-Proto from a trusted proxy, the hop it appended last', async () => {
    const cookies = await interactionCookies(loopbackProxy, { 'x-forwarded-proto': 'http, https' });
    expect(cookies.filter((c) => c.startsWith('_interaction')).every((c) => /;\s*secure/i.test(c))).toBe(true);
  });
});
