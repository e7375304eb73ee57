import { SANDBOX_TPP } from '@consentry/sandbox';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { newDPoPHandle, pushAuthorization, tppConfiguration } from '../support/tpp-client.js';

/**
 * The `openbanking_intent_id` a TPP pushes must look like a ConsentId (OB Max128Text, no control
 * characters): until 7 December 2026 one carrying a NUL passed PAR, and when the PSU opened the request
 * the consent's look-up failed in PostgreSQL and the TPP got `server_error`. It is now refused at PAR,
 * `invalid_request`, before any PSU sees a page.
 */
describe('PAR refuses an openbanking_intent_id that is no ConsentId, and parameters the interaction could not be saved with (invalid_request)', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('intent_id_shape');
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
  });
  afterAll(async () => fixture?.stop());

  /** Pushes an authorization request with `params` over the usual ones: the URL the PSU would open. */
  const push = async (params: Record<string, string>): Promise<URL> =>
    client.buildAuthorizationUrlWithPAR(
      config,
      {
        redirect_uri: SANDBOX_TPP.redirectUri,
        scope: 'openid accounts',
        state: client.randomState(),
        nonce: client.randomNonce(),
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        ...params,
      },
      { DPoP: await newDPoPHandle(config) },
    );

  for (const [name, consentId] of [
    ['a NUL in an account-access id', 'aac-\u0000'],
    ['a NUL in a payment id', 'pmc-\u0000'],
    ['a line feed', 'aac-1\n'],
    ['129 characters', `aac-${'1'.repeat(125)}`],
  ] as const) {
    it(name, async () => {
      const pushed = pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, consentId);
      await expect(pushed).rejects.toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('openbanking_intent_id') });
    });
  }

  // oidc-provider keeps the parameters in the interaction it saves (jsonb) when the PSU opens the request:
  // until 7 December 2026 a NUL in any of them passed PAR and left the PSU on a 500 page.
  for (const name of ['state', 'nonce', 'login_hint', 'acr_values'] as const) {
    it(`a NUL in ${name}: refused at PAR`, async () => {
      const claims = JSON.stringify({ id_token: { openbanking_intent_id: { value: 'aac-1', essential: true } } });
      await expect(push({ claims, [name]: 'x\u0000y' })).rejects.toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining(name) });
    });
  }

  it('without claims, a NUL the interaction cannot store sends the TPP invalid_request at its redirect_uri, not a 500 page', async () => {
    const url = await push({ login_hint: 'x\u0000y' });
    const opened = await fetch(url, { redirect: 'manual' });
    expect(opened.status).toBeGreaterThanOrEqual(300);
    expect(opened.status).toBeLessThan(400);
    const location = new URL(opened.headers.get('location')!, url);
    expect(`${location.origin}${location.pathname}`).toBe(SANDBOX_TPP.redirectUri);
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });
});
