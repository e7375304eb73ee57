import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AISP,
  AttackPlatform,
  authorisedConsent,
  AuthorisedConsent,
  clientCredentials,
  expectNothingWritten,
  secretsInLogs,
  send,
  signIn,
  startAttackPlatform,
} from '../support/attack-platform.js';

/**
 * OWASP API Security Top 10 (2023), API1 Broken Object Level Authorization: every object is reached
 * through the caller's own consent, and another tenant's object answers as if it did not exist.
 */
describe('OWASP API1:2023 broken object level authorization', () => {
  let platform: AttackPlatform;
  let aliceAtA: AuthorisedConsent;
  let bobAtA: AuthorisedConsent;

  beforeAll(async () => {
    platform = await startAttackPlatform('bola');
    aliceAtA = await authorisedConsentFor(0);
    bobAtA = await authorisedConsentFor(1);
  });

  afterAll(async () => platform?.stop());

  function authorisedConsentFor(psuIndex: number): Promise<AuthorisedConsent> {
    return authorisedConsent(platform, platform.tpp, { psu: platform.sandbox.psus[psuIndex]! });
  }

  it('(harness) notices a write: a consent created inside the check fails it', async () => {
    const token = await clientCredentials(platform, platform.tppB);
    await expect(expectNothingWritten(platform, () => platform.tppB.createConsent(token, ['ReadAccountsBasic']))).rejects.toThrow(/tables written/);
  });

  it("refuses TPP B reading TPP A's consent by its id", async () => {
    const token = await clientCredentials(platform, platform.tppB);
    const result = await expectNothingWritten(platform, () => platform.tppB.api(token, 'GET', `${AISP}/account-access-consents/${aliceAtA.consentId}`));
    expect(result.status).toBe(404);
  });

  it("refuses TPP B deleting TPP A's consent", async () => {
    const token = await clientCredentials(platform, platform.tppB);
    const result = await expectNothingWritten(platform, () => platform.tppB.api(token, 'DELETE', `${AISP}/account-access-consents/${aliceAtA.consentId}`));
    expect(result.status).toBe(404);
  });

  it("refuses PSU Alice's account through PSU Bob's consent", async () => {
    const aliceAccount = aliceAtA.accountIds[0]!;
    const result = await expectNothingWritten(platform, () => platform.tpp.api(bobAtA.accessToken, 'GET', `${AISP}/accounts/${aliceAccount}/balances`));
    expect(result.status).toBe(403);
    expect(result.body.Errors[0].ErrorCode).toBe('U011');
  });

  it("refuses TPP B reading TPP A's accounts with TPP B's own consent", async () => {
    const carolAtB = await authorisedConsent(platform, platform.tppB, { psu: platform.sandbox.psus[2]! });
    for (const path of [`${AISP}/accounts/${aliceAtA.accountIds[0]}`, `${AISP}/accounts/${aliceAtA.accountIds[0]}/transactions`]) {
      const result = await expectNothingWritten(platform, () => platform.tppB.api(carolAtB.accessToken, 'GET', path));
      expect(result.status).toBe(403);
      expect(result.body.Errors[0]).toMatchObject({ ErrorCode: 'U011', Path: 'AccountId' });
    }
  });

  it("refuses PSU Alice's account and transactions through PSU Bob's consent (every resource his permissions name)", async () => {
    const account = aliceAtA.accountIds[0]!;
    for (const resource of ['', '/transactions']) {
      const result = await expectNothingWritten(platform, () => platform.tpp.api(bobAtA.accessToken, 'GET', `${AISP}/accounts/${account}${resource}`));
      expect(result.status, resource).toBe(403);
      expect(result.body.Errors[0], resource).toMatchObject({ ErrorCode: 'U011', Path: 'AccountId' });
    }
  });

  it("refuses PSU Bob revoking PSU Alice's consent through the customer API", async () => {
    const session = await signIn(platform, 'customer', platform.sandbox.psus[1]!);
    const result = await expectNothingWritten(platform, () =>
      send(`${platform.env.API_URL}/customer/consents/${aliceAtA.consentId}`, { method: 'DELETE', headers: { authorization: `Bearer ${session}` } }),
    );
    expect(result.status).toBe(404);
    expect(result.body).toEqual({ error: 'not_found', message: 'No such consent' });
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
