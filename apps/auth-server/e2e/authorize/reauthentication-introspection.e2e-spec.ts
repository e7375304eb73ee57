import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeJwt } from 'jose';
import * as client from 'openid-client';

import { INACTIVE, GrantJourneys, startGrantJourneys } from '../support/grant-journeys.js';

/**
 * After the PSU re-confirms an account-access consent (re-authentication), the consent has a new grant and
 * the old one is deleted. Introspection answers an access token of the old grant inactive, to the API and
 * to the TPP, as the API refuses it: a token's grant must still be its consent's.
 */
describe('introspection of an access token of a replaced grant', () => {
  let p: GrantJourneys;
  beforeAll(async () => {
    p = await startGrantJourneys('reauth_introspection');
  });
  afterAll(async () => p?.stop());

  it('answers the old grant\'s access token inactive after re-authentication', async () => {
    const first = await p.aisConsent('carol');
    const [before] = await p.query<{ grant_id: string }>(`SELECT grant_id FROM account_access_consent WHERE consent_id = $1`, [first.consentId]);
    expect(decodeJwt(first.tokens.access_token).grant_id).toBe(before!.grant_id);
    // Re-authentication due (UK, 90 days).
    await p.query(`UPDATE account_access_consent SET authorised_at = now() - make_interval(days => 100), jurisdiction = 'UK' WHERE consent_id = $1`, [first.consentId]);
    const second = await p.journey(p.psu('carol'), first.consentId, 'openid accounts', [p.psu('carol').accounts[0]!.accountId]);
    const [after] = await p.query<{ grant_id: string; status: string }>(`SELECT grant_id, status FROM account_access_consent WHERE consent_id = $1`, [first.consentId]);
    expect(after).toMatchObject({ status: 'AUTH', grant_id: decodeJwt(second.tokens.access_token).grant_id });
    expect(after!.grant_id).not.toBe(before!.grant_id);
    expect(await p.query(`SELECT 1 FROM oidc_model WHERE model = 'Grant' AND id = $1`, [before!.grant_id])).toHaveLength(0);
    await expect(client.refreshTokenGrant(p.config, first.tokens.refresh_token!, undefined, p.dpop(first))).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await client.tokenIntrospection(p.api, first.tokens.access_token)).toEqual(INACTIVE);
    expect(await client.tokenIntrospection(p.config, first.tokens.access_token)).toEqual(INACTIVE);
  });
});
