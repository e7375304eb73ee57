import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AISP,
  AttackPlatform,
  authorisedConsent,
  AuthorisedConsent,
  clientCredentials,
  expectNothingWritten,
  secretsInLogs,
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

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
