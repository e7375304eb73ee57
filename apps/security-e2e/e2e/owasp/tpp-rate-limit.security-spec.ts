import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, AttackPlatform, authorisedConsent, AuthorisedConsent, clientCredentials, expectNothingWritten, HttpResult, secretsInLogs, startAttackPlatform } from '../support/attack-platform.js';

// Low, so a case can reach it: a burst of 6 calls, then one every 10 s.
const PER_MINUTE = 6;

function expectRateLimited(result: Pick<HttpResult, 'status' | 'headers' | 'body'>): void {
  expect(result.status).toBe(429);
  const retryAfter = Number(result.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60 / PER_MINUTE).toBe(true);
  expect((result.body as { Errors: unknown[] }).Errors).toEqual([{ ErrorCode: 'U042', Message: `This client may make ${PER_MINUTE} calls a minute; retry after ${retryAfter} s` }]);
}

/**
 * OWASP API Security Top 10 (2023), API4 Unrestricted Resource Consumption: every OB call of a TPP,
 * the PSU present or not, counts against TPP_RATE_LIMIT_PER_MINUTE; past it, 429 with Retry-After.
 */
describe('OWASP API4:2023 unrestricted resource consumption (per-TPP rate limit)', () => {
  let platform: AttackPlatform;
  let consent: AuthorisedConsent;

  beforeAll(async () => {
    platform = await startAttackPlatform('rate_limit', { env: { TPP_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE) } });
    consent = await authorisedConsent(platform, platform.tpp, { permissions: ['ReadAccountsBasic'] });
  });

  afterAll(async () => platform?.stop());

  it('refuses reads with the PSU present past the per-minute rate, with 429 and Retry-After, reading nothing', async () => {
    // The consent's creation spent one call of the burst: five reads pass (six, if the PSU's sign-in took
    // over 10 s), and the next is refused.
    const statuses: number[] = [];
    for (let i = 0; i <= PER_MINUTE && !statuses.includes(429); i++) statuses.push((await platform.tpp.api(consent.accessToken, 'GET', `${AISP}/accounts`)).status);
    expect(statuses.slice(0, PER_MINUTE - 1)).toEqual(Array(PER_MINUTE - 1).fill(200));
    expect(statuses.at(-1)).toBe(429);
    expectRateLimited(await expectNothingWritten(platform, () => platform.tpp.api(consent.accessToken, 'GET', `${AISP}/accounts`)));
  });

  it('refuses a consent creation past the rate, writing no consent', async () => {
    const token = await clientCredentials(platform, platform.tpp);
    expectRateLimited(await expectNothingWritten(platform, () => platform.tpp.createConsent(token, ['ReadBalances'])));
  });

  it("keeps each TPP's rate apart: TPP A past its rate does not refuse TPP B", async () => {
    const token = await clientCredentials(platform, platform.tppB);
    expect((await platform.tppB.createConsent(token, ['ReadBalances'])).status).toBe(201);
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
