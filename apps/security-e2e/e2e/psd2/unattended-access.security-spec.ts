import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TppClient } from '../../../../scripts/journey.js';
import { AISP, AttackPlatform, authorisedConsent, AuthorisedConsent, expectNothingWritten, HttpResult, secretsInLogs, startAttackPlatform } from '../support/attack-platform.js';

const REFUSAL = {
  ErrorCode: 'U042',
  Message: 'Without the PSU present an account may be read 4 times in 24 hours; send x-fapi-customer-ip-address when the PSU is present',
};

/** A TPP's own call without x-fapi-customer-ip-address (the PSU is not present): an unattended access. */
async function unattended(tpp: TppClient, accessToken: string, path: string): Promise<HttpResult> {
  const response = await oidc.fetchProtectedResource(tpp.config, accessToken, new URL(`${tpp.apiUrl}${path}`), 'GET', undefined, new Headers({ accept: 'application/json' }), {
    DPoP: tpp.dpop,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : '', text };
}

function expectUnattendedRefusal(result: HttpResult): void {
  expect(result.status).toBe(429);
  expect((result.body as { Errors: unknown[] }).Errors).toEqual([REFUSAL]);
  // The oldest counted access leaves the 24-hour window within the next day.
  const retryAfter = Number(result.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 86_400).toBe(true);
}

/**
 * PSD2 RTS Art. 36(5)(b): without the PSU present, an AISP may access an account at most four times in
 * 24 hours. Counted per TPP and account in a rolling window; only answered calls count.
 */
describe('PSD2 RTS Art. 36(5)(b) unattended access', () => {
  let platform: AttackPlatform;
  let alice: AuthorisedConsent;

  beforeAll(async () => {
    platform = await startAttackPlatform('unattended');
    const psu = platform.sandbox.psus[0]!;
    alice = await authorisedConsent(platform, platform.tpp, { psu, accountIds: psu.accounts.map((a) => a.accountId) });
  });

  afterAll(async () => platform?.stop());

  it('refuses a fifth unattended access to an account within 24 hours, reading and recording nothing', async () => {
    const path = `${AISP}/accounts/${alice.accountIds[0]}/balances`;
    for (let i = 0; i < 4; i++) expect((await unattended(platform.tpp, alice.accessToken, path)).status).toBe(200);
    expectUnattendedRefusal(await expectNothingWritten(platform, () => unattended(platform.tpp, alice.accessToken, path)));
    // The PSU present is not limited.
    expect((await platform.tpp.api(alice.accessToken, 'GET', path)).status).toBe(200);
  });

  it('refuses a bulk unattended read when any account of the consent is exhausted', async () => {
    expectUnattendedRefusal(await expectNothingWritten(platform, () => unattended(platform.tpp, alice.accessToken, `${AISP}/balances`)));
  });

  it('refuses a fresh consent of the same TPP a new allowance on the same account', async () => {
    const again = await authorisedConsent(platform, platform.tpp, { psu: alice.psu, accountIds: [alice.accountIds[0]!] });
    expectUnattendedRefusal(await expectNothingWritten(platform, () => unattended(platform.tpp, again.accessToken, `${AISP}/accounts/${alice.accountIds[0]}/balances`)));
  });

  it('does not let calls refused for a bad query use up the allowance', async () => {
    const path = `${AISP}/accounts/${alice.accountIds[1]}/transactions`;
    for (let i = 0; i < 4; i++) {
      const bad = await unattended(platform.tpp, alice.accessToken, `${path}?limit=1000`);
      expect(bad.status).toBe(400);
      expect((bad.body as { Errors: unknown[] }).Errors).toEqual([{ ErrorCode: 'U005', Message: 'limit is not a field of this resource', Path: 'limit' }]);
    }
    for (let i = 0; i < 4; i++) expect((await unattended(platform.tpp, alice.accessToken, path)).status).toBe(200);
    expectUnattendedRefusal(await expectNothingWritten(platform, () => unattended(platform.tpp, alice.accessToken, path)));
  });

  it("keeps each TPP's count apart: TPP A's exhausted allowance does not refuse TPP B", async () => {
    const atB = await authorisedConsent(platform, platform.tppB, { psu: alice.psu, accountIds: [alice.accountIds[0]!] });
    expect((await unattended(platform.tppB, atB.accessToken, `${AISP}/accounts/${alice.accountIds[0]}/balances`)).status).toBe(200);
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
