import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authorizeAsPsu, freshTotpCode } from '../../../../scripts/journey.js';
import {
  AISP,
  AttackPlatform,
  authorisedConsent,
  AuthorisedConsent,
  expectNothingWritten,
  secretsInLogs,
  startAttackPlatform,
} from '../support/attack-platform.js';

/**
 * Every way a token ends stops it at the API on the next call (FAPI 2.0 attacker model A5, a leaked
 * token; RFC 7009; RFC 6749 4.1.2): revoking the access token ends it alone, revoking the refresh token
 * or replaying the code ends the consent, and the old ways (the consent revoked, the TPP suspended) stay.
 */
describe('FAPI 2.0 attacker model: revoked tokens at the resource server', () => {
  let platform: AttackPlatform;

  beforeAll(async () => {
    platform = await startAttackPlatform('revocation');
  });
  afterAll(async () => platform?.stop());

  /** A TPP call through openid-client, which throws on a 401 challenge: the refusal's status and OB body. */
  async function call(token: string, path: string): Promise<{ status: number; body: { Errors: Array<Record<string, string>> } & Record<string, never> }> {
    try {
      return await platform.tpp.api(token, 'GET', path);
    } catch (error) {
      if (!(error instanceof oidc.WWWAuthenticateChallengeError)) throw error;
      return { status: error.response!.status, body: (await error.response!.json()) as { Errors: Array<Record<string, string>> } & Record<string, never> };
    }
  }

  const accountsOf = (consent: AuthorisedConsent, token = consent.accessToken) => call(token, `${AISP}/accounts`);

  async function statusOf(consentId: string): Promise<{ status: string; grant_id: string | null; status_reason_description: string | null }> {
    const rows = await platform.db.dataSource.query(`SELECT status, grant_id, status_reason_description FROM account_access_consent WHERE consent_id = $1`, [consentId]);
    return rows[0];
  }

  async function auditTypesOf(consentId: string): Promise<string[]> {
    const rows: Array<{ type: string }> = await platform.db.dataSource.query(
      `SELECT event->>'type' AS type FROM audit_outbox WHERE event->>'consentId' = $1 UNION ALL SELECT event_type FROM audit_log WHERE consent_id = $1`,
      [consentId],
    );
    return rows.map((r) => r.type);
  }

  it('refuses an access token revoked at the authorization server (RFC 7009), and that token alone', async () => {
    const consent = await authorisedConsent(platform, platform.tpp, { psu: platform.sandbox.psus[0] });
    expect((await accountsOf(consent)).status).toBe(200);
    const sibling = await oidc.refreshTokenGrant(platform.tpp.config, consent.refreshToken!, { resource: platform.env.API_URL! }, { DPoP: platform.tpp.dpop });
    platform.secrets.add(sibling.access_token);
    await oidc.tokenRevocation(platform.tpp.config, consent.accessToken, { token_type_hint: 'access_token' });
    const refused = await expectNothingWritten(platform, () => accountsOf(consent));
    expect(refused.status).toBe(401);
    expect(refused.body.Errors[0]).toMatchObject({ ErrorCode: 'U006', Message: 'The access token was revoked', Path: 'Authorization' });
    expect((await oidc.tokenIntrospection(platform.tpp.config, consent.accessToken)).active).toBe(false);
    // The consent and its other tokens live on.
    expect((await accountsOf(consent, sibling.access_token)).status).toBe(200);
    expect((await statusOf(consent.consentId)).status).toBe('AUTH');
    expect(await auditTypesOf(consent.consentId)).toContain('token.revoked');
  });

  it('refuses TPP B revoking TPP A\'s access token, which keeps working', async () => {
    const consent = await authorisedConsent(platform, platform.tpp, { psu: platform.sandbox.psus[1] });
    const attempt = await expectNothingWritten(platform, () => oidc.tokenRevocation(platform.tppB.config, consent.accessToken).then(() => 'revoked', (error: { error?: string }) => error.error));
    expect(attempt).toBe('invalid_request');
    expect((await accountsOf(consent)).status).toBe(200);
  });

  it('ends the consent when its refresh token is revoked: CANC, consent.revoked, and its access tokens refused', async () => {
    const consent = await authorisedConsent(platform, platform.tpp, { psu: platform.sandbox.psus[2] });
    await oidc.tokenRevocation(platform.tpp.config, consent.refreshToken!, { token_type_hint: 'refresh_token' });
    const refused = await expectNothingWritten(platform, () => accountsOf(consent));
    expect(refused.status).toBe(401);
    expect(refused.body.Errors[0].ErrorCode).toBe('U006');
    expect(await statusOf(consent.consentId)).toEqual({ status: 'CANC', grant_id: null, status_reason_description: 'Refresh token revoked by the TPP' });
    expect(await auditTypesOf(consent.consentId)).toEqual(expect.arrayContaining(['token.revoked', 'consent.revoked']));
    expect((await oidc.tokenIntrospection(platform.tpp.config, consent.accessToken)).active).toBe(false);
    // The TPP sees the consent ended too.
    const cc = await platform.tpp.clientCredentialsToken();
    const read = await platform.tpp.api(cc.access_token, 'GET', `${AISP}/account-access-consents/${consent.consentId}`);
    expect(read.body.Data.Status).toBe('CANC');
  });

  it('ends the consent when its authorization code is replayed, and refuses the token the first exchange got', async () => {
    const psu = platform.sandbox.psus[0]!;
    const cc = await platform.tpp.clientCredentialsToken();
    const created = await platform.tpp.createConsent(cc.access_token, ['ReadAccountsBasic'], new Date(Date.now() + 86_400_000).toISOString());
    const consentId = created.body.Data.ConsentId as string;
    const request = await platform.tpp.pushAuthorizationRequest(consentId);
    const outcome = await authorizeAsPsu({
      authorizationUrl: request.url,
      issuer: platform.env.AUTH_SERVER_URL!,
      psu,
      otp: () => freshTotpCode(psu.totpSecret),
      accountIds: [psu.accounts[0]!.accountId],
    });
    const first = await platform.tpp.exchangeCode(outcome.redirect!, request);
    platform.secrets.add(first.access_token);
    const replay = await platform.tpp.exchangeCode(outcome.redirect!, request).then(
      () => 'issued',
      (error: { error?: string }) => error.error,
    );
    expect(replay).toBe('invalid_grant');
    const refused = await expectNothingWritten(platform, () => call(first.access_token, `${AISP}/accounts`));
    expect(refused.status).toBe(401);
    expect(refused.body.Errors[0].ErrorCode).toBe('U006');
    expect(await statusOf(consentId)).toEqual({ status: 'CANC', grant_id: null, status_reason_description: 'Authorisation code replayed' });
    expect(await auditTypesOf(consentId)).toContain('consent.revoked');
  });

  it('still refuses the tokens of a consent the TPP deleted', async () => {
    const consent = await authorisedConsent(platform, platform.tpp, { psu: platform.sandbox.psus[1] });
    const cc = await platform.tpp.clientCredentialsToken();
    expect((await platform.tpp.api(cc.access_token, 'DELETE', `${AISP}/account-access-consents/${consent.consentId}`)).status).toBe(204);
    const refused = await expectNothingWritten(platform, () => accountsOf(consent));
    expect(refused.status).toBe(403);
    expect(refused.body.Errors[0].ErrorCode).toBe('U009');
  });

  it('still refuses every token of a suspended TPP', async () => {
    const consent = await authorisedConsent(platform, platform.tpp, { psu: platform.sandbox.psus[2] });
    await platform.db.dataSource.query(`UPDATE tpp SET status = 'Suspended' WHERE client_id = $1`, [platform.sandbox.tpp.client_id]);
    try {
      const refused = await expectNothingWritten(platform, () => accountsOf(consent));
      expect(refused.status).toBe(401);
      expect(refused.body.Errors[0].Message).toBe('The client is not an active TPP');
    } finally {
      await platform.db.dataSource.query(`UPDATE tpp SET status = 'Active' WHERE client_id = $1`, [platform.sandbox.tpp.client_id]);
    }
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
