import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, CallResult } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const REFUSAL = {
  ErrorCode: 'U042',
  Message: 'Without the PSU present an account may be read 4 times in 24 hours; send x-fapi-customer-ip-address when the PSU is present',
};

// PSD2 RTS Art. 36(5)(b): at most four accesses in 24 hours without the PSU, per TPP and account.
describe('unattended access: a rolling 24-hour window per TPP and account', () => {
  let h: ApiHarness;
  let alice: string[];
  // The limits' clock, moved by the tests (only ever forward: the per-TPP rate limit shares it).
  let now = Date.parse('2030-03-01T23:59:00.000Z');

  beforeAll(async () => {
    h = await ApiHarness.start('unattended-access', {}, { connectors: [], limitClock: () => now });
    alice = h.psuAccounts('alice');
  });
  afterAll(async () => h?.stop());

  function expectUnattendedRefusal(result: CallResult, retryAfterSeconds: number): void {
    expect(result.status).toBe(429);
    expectObSchema('OBErrorResponse1', result.body);
    expect(result.body.Errors).toEqual([REFUSAL]);
    expect(result.headers.get('retry-after')).toBe(String(retryAfterSeconds));
  }

  it('refuses four calls at 23:59 and a fifth at 00:00: the window does not restart at midnight', async () => {
    const token = await h.consentToken(await h.authorisedConsent(['ReadBalances']));
    const path = `${AISP}/accounts/${alice[0]}/balances`;
    for (let i = 0; i < 4; i++) expect((await h.tpp('GET', path, { token, attended: false })).status).toBe(200);
    now = Date.parse('2030-03-02T00:00:00.000Z');
    // The oldest counted call (23:59) leaves the window at 23:59 the next day.
    expectUnattendedRefusal(await h.tpp('GET', path, { token, attended: false }), 24 * 3600 - 60);
  });

  it('allows four calls at t, refuses a fifth at t + 23h59m with Retry-After 60, and allows it at t + 24h + 1s', async () => {
    now += 2 * DAY;
    const t = now;
    const token = await h.consentToken(await h.authorisedConsent(['ReadBalances']));
    const path = `${AISP}/accounts/${alice[1]}/balances`;
    for (let i = 0; i < 4; i++) expect((await h.tpp('GET', path, { token, attended: false })).status).toBe(200);
    now = t + 23 * HOUR + 59 * MINUTE;
    expectUnattendedRefusal(await h.tpp('GET', path, { token, attended: false }), 60);
    // The PSU present is not limited; another account has its own allowance.
    expect((await h.tpp('GET', path, { token })).status).toBe(200);
    expect((await h.tpp('GET', `${AISP}/accounts/${alice[2]}/balances`, { token, attended: false })).status).toBe(200);
    // A bulk call reads every account of the consent, the exhausted one included.
    expectUnattendedRefusal(await h.tpp('GET', `${AISP}/balances`, { token, attended: false }), 60);
    now = t + DAY + 1000;
    expect((await h.tpp('GET', path, { token, attended: false })).status).toBe(200);
    // Counted: the one just allowed, and the one on the other account; refused calls left nothing.
    const redis = new Redis(h.redis.url);
    try {
      const key = `${h.redis.prefix}:unattended:{${h.clientId}}:${alice[1]}`;
      expect(await redis.zrange(key, 0, '-1', 'WITHSCORES')).toEqual([expect.any(String), String(t + DAY + 1000)]);
      expect(await redis.pttl(key)).toBeGreaterThan(DAY - HOUR);
      expect(await redis.pttl(key)).toBeLessThanOrEqual(DAY);
    } finally {
      redis.disconnect();
    }
  });

  it('does not count a call refused for a bad query', async () => {
    now += 2 * DAY;
    const token = await h.consentToken(await h.authorisedConsent(['ReadTransactionsBasic', 'ReadTransactionsDebits']));
    const path = `${AISP}/accounts/${alice[0]}/transactions`;
    for (let i = 0; i < 4; i++) {
      const unknownField = await h.tpp('GET', `${path}?limit=1000`, { token, attended: false });
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.Errors).toEqual([{ ErrorCode: 'U005', Message: 'limit is not a field of this resource', Path: 'limit' }]);
      const badDate = await h.tpp('GET', `${path}?fromBookingDateTime=2030-13-01`, { token, attended: false });
      expect(badDate.status).toBe(400);
      expect(badDate.body.Errors[0]).toMatchObject({ ErrorCode: 'U003', Path: 'fromBookingDateTime' });
    }
    for (let i = 0; i < 4; i++) expect((await h.tpp('GET', path, { token, attended: false })).status).toBe(200);
    expectUnattendedRefusal(await h.tpp('GET', path, { token, attended: false }), 24 * 3600);
  });

  it('counts per TPP: another consent of the same TPP on the same account shares the allowance', async () => {
    now += 2 * DAY;
    const first = await h.consentToken(await h.authorisedConsent(['ReadBalances']));
    const second = await h.consentToken(await h.authorisedConsent(['ReadBalances']));
    const path = `${AISP}/accounts/${alice[2]}/balances`;
    for (let i = 0; i < 2; i++) expect((await h.tpp('GET', path, { token: first, attended: false })).status).toBe(200);
    now += HOUR;
    for (let i = 0; i < 2; i++) expect((await h.tpp('GET', path, { token: second, attended: false })).status).toBe(200);
    now += HOUR;
    // The two oldest calls were an hour apart from the next: free again 22 hours from now.
    expectUnattendedRefusal(await h.tpp('GET', path, { token: first, attended: false }), 22 * 3600);
    expectUnattendedRefusal(await h.tpp('GET', path, { token: second, attended: false }), 22 * 3600);
  });
});
