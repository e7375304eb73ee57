import { SANDBOX_TPP } from '@consentry/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { postForm } from '../support/raw-oauth.js';
import { newDPoPHandle, pushAuthorization, tppConfiguration } from '../support/tpp-client.js';

/**
 * X-Forwarded-Proto decides whether oidc-provider thinks the PSU came over https (its cookies are then
 * Secure). Only a proxy TRUST_PROXY names may say so; the same header from anyone else changes nothing.
 */
const PER_IP = 4;

describe('proxy trust at the authorization server', () => {
  let untrusted: AuthServerFixture;
  let loopbackProxy: AuthServerFixture;

  beforeAll(async () => {
    [untrusted, loopbackProxy] = await Promise.all([
      startAuthServerFixture('proxy_untrusted', { TRUST_PROXY: '192.168.0.0/16', OAUTH_RATE_LIMIT_PER_IP: String(PER_IP) }),
      startAuthServerFixture('proxy_loopback', { TRUST_PROXY: '127.0.0.0/8', OAUTH_RATE_LIMIT_PER_IP: String(PER_IP) }),
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

  /** Statuses of token requests from 127.0.0.1, each claiming another client address in X-Forwarded-For. */
  async function tokenRequestsClaiming(fixture: AuthServerFixture, count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 1; i <= count; i++) {
      const url = new URL(`${fixture.server.url}/token`);
      url.hostname = '127.0.0.1';
      statuses.push((await postForm(url.href, { grant_type: 'client_credentials' }, { 'x-forwarded-for': `10.9.0.${i}` })).status);
    }
    return statuses;
  }

  it('counts the per-address rate limit against the real peer when X-Forwarded-For comes from anyone else', async () => {
    // The interaction test above may have spent one request of 127.0.0.1's window already.
    const statuses = await tokenRequestsClaiming(untrusted, PER_IP + 1);
    expect(statuses.at(-1)).toBe(429);
  });

  it('counts the per-address rate limit against the forwarded client behind a trusted proxy', async () => {
    const statuses = await tokenRequestsClaiming(loopbackProxy, PER_IP + 1);
    expect(statuses.filter((status) => status === 429)).toEqual([]);
  });
});
