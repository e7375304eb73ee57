import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, CallResult } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

describe('per-TPP rate limit (TPP_RATE_LIMIT_PER_MINUTE) on every OB call, PSU present or not', () => {
  let h: ApiHarness;
  // The limits' clock: held still while a burst is sent, then moved forward.
  let now = Date.parse('2030-05-01T10:00:00.000Z');

  beforeAll(async () => {
    h = await ApiHarness.start('tpp-rate-limit', { TPP_RATE_LIMIT_PER_MINUTE: '5' }, { connectors: [], limitClock: () => now });
  });
  afterAll(async () => h?.stop());

  function expectRateLimited(result: CallResult, retryAfterSeconds: number): void {
    expect(result.status).toBe(429);
    expectObSchema('OBErrorResponse1', result.body);
    expect(result.body.Errors).toEqual([{ ErrorCode: 'U042', Message: `This client may make 5 calls a minute; retry after ${retryAfterSeconds} s` }]);
    expect(result.headers.get('retry-after')).toBe(String(retryAfterSeconds));
  }

  async function consentCount(): Promise<number> {
    const [row] = await h.dataSource.query(`SELECT count(*)::int AS n FROM account_access_consent`);
    return row.n as number;
  }

  it('allows a burst of five calls a minute, then answers 429 with Retry-After until the next is due', async () => {
    // The consent's creation is the first of the five.
    const token = await h.consentToken(await h.authorisedConsent(['ReadAccountsBasic']));
    for (let i = 0; i < 4; i++) expect((await h.tpp('GET', `${AISP}/accounts`, { token })).status).toBe(200);
    // With the PSU present (attended), and on a consent endpoint alike; nothing is written.
    expectRateLimited(await h.tpp('GET', `${AISP}/accounts`, { token }), 12);
    const before = await consentCount();
    expectRateLimited(
      await h.tpp('POST', `${AISP}/account-access-consents`, { token: await h.clientCredentialsToken(), body: { Data: { Permissions: ['ReadBalances'] }, Risk: {} } }),
      12,
    );
    expect(await consentCount()).toBe(before);
    // One call is due every 12 s: 11 s later it is still 1 s away; at 12 s one call passes, not two.
    now += 11_000;
    expectRateLimited(await h.tpp('GET', `${AISP}/accounts`, { token }), 1);
    now += 1000;
    expect((await h.tpp('GET', `${AISP}/accounts`, { token })).status).toBe(200);
    expectRateLimited(await h.tpp('GET', `${AISP}/accounts`, { token }), 12);
    // A minute of quiet gives the whole burst back.
    now += 60_000;
    for (let i = 0; i < 5; i++) expect((await h.tpp('GET', `${AISP}/accounts`, { token })).status).toBe(200);
    expectRateLimited(await h.tpp('GET', `${AISP}/accounts`, { token }), 12);
  });

  it('refuses a forged token before counting, so forged calls cannot spend the TPP allowance', async () => {
    now += 120_000;
    const token = await h.consentToken(await h.authorisedConsent(['ReadAccountsBasic']));
    const forged = `${token.slice(0, -4)}AAAA`;
    for (let i = 0; i < 10; i++) expect((await h.tpp('GET', `${AISP}/accounts`, { token: forged })).status).toBe(401);
    for (let i = 0; i < 4; i++) expect((await h.tpp('GET', `${AISP}/accounts`, { token })).status).toBe(200);
    expectRateLimited(await h.tpp('GET', `${AISP}/accounts`, { token }), 12);
  });
});
