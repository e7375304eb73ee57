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

  /** The `token.revoked` events of the sandbox TPP recorded since `since` (created_seq), oldest first. */
  async function tokenRevokedSince(since: number): Promise<Array<Record<string, unknown>>> {
    const rows = await p.query<{ event: Record<string, unknown> }>(
      `SELECT event FROM audit_outbox WHERE event->>'type' = 'token.revoked' AND created_seq > $1 ORDER BY created_seq`,
      [since],
    );
    return rows.map((row) => row.event);
  }

  async function lastSeq(): Promise<number> {
    const [row] = await p.query<{ seq: string | null }>(`SELECT max(created_seq)::text AS seq FROM audit_outbox`);
    return Number(row?.seq ?? 0);
  }

  async function psuOf(consentId: string): Promise<string> {
    const [row] = await p.query<{ psu_id: string }>(`SELECT psu_id::text FROM payment_consent WHERE consent_id = $1`, [consentId]);
    return row!.psu_id;
  }

  it('the TPP revokes its VRP refresh token (RFC 7009): the consent ends CANC', async () => {
    const a = await p.vrpConsent('bob');
    const since = await lastSeq();
    await client.tokenRevocation(p.config, a.tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    await expectEnded(a);
    // token.revoked names the VRP consent and its PSU, as for an account-access consent.
    expect(await tokenRevokedSince(since)).toEqual([
      expect.objectContaining({
        actor: { type: 'tpp', id: p.fixture.credentials.tpp.client_id },
        consentId: a.consentId,
        psuId: await psuOf(a.consentId),
        data: { trigger: 'revocation_endpoint', kind: 'RefreshToken', grantRevoked: true },
      }),
    ]);
  });

  it('the VRP authorization code is replayed: the consent ends CANC', async () => {
    const a = await p.vrpConsent('carol');
    const since = await lastSeq();
    await expect(p.redeemAgain(a)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expectEnded(a);
    expect(await tokenRevokedSince(since)).toEqual([
      expect.objectContaining({ consentId: a.consentId, psuId: await psuOf(a.consentId), data: { trigger: 'authorization_code_replayed', grantRevoked: true } }),
    ]);
  });
});
