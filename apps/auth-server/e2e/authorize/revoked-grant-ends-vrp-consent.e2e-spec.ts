import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import * as client from 'openid-client';

import { Authorised, INACTIVE, GrantJourneys, startGrantJourneys } from '../support/grant-journeys.js';

/**
 * When oidc-provider revokes a VRP consent's grant (the TPP revokes its refresh token, RFC 7009; its code
 * is replayed), EndConsentOfRevokedGrant ends the consent as it ends an account-access one: CANC with the
 * reason and `consent.revoked`, so the PSU's dashboard and the TPP's GET no longer show it live. Its
 * tokens are dead: refresh is invalid_grant, introspection inactive.
 */
describe('a VRP consent whose grant the auth server revoked ends CANC, with consent.revoked', () => {
  let p: GrantJourneys;
  beforeAll(async () => {
    p = await startGrantJourneys('vrp_grant_revoked');
  });
  afterAll(async () => p?.stop());

  async function expectEnded(a: Authorised): Promise<void> {
    // The tokens are dead ...
    await expect(client.refreshTokenGrant(p.config, a.tokens.refresh_token!, undefined, p.dpop(a))).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await client.tokenIntrospection(p.api, a.tokens.access_token)).toEqual(INACTIVE);
    const [row] = await p.query<{ status: string; grant_id: string | null }>(`SELECT status, grant_id FROM payment_consent WHERE consent_id = $1`, [a.consentId]);
    expect(row!.grant_id).toBeNull();
    // ... and the consent is ended, recorded once.
    expect(row!.status).toBe('CANC');
    expect(await p.query(`SELECT 1 FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'consent.revoked'`, [a.consentId])).toHaveLength(1);
  }

  it('the TPP revokes its VRP refresh token (RFC 7009): the consent ends CANC', async () => {
    const a = await p.vrpConsent('bob');
    await client.tokenRevocation(p.config, a.tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    await expectEnded(a);
  });

  it('the VRP authorization code is replayed: the consent ends CANC', async () => {
    const a = await p.vrpConsent('carol');
    await expect(p.redeemAgain(a)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expectEnded(a);
  });
});
