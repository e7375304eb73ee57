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
describe('PAR refuses an openbanking_intent_id that is no ConsentId (invalid_request)', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('intent_id_shape');
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
  });
  afterAll(async () => fixture?.stop());

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
});
