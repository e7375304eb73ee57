import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult } from '../support/api-harness.js';

const REFUSED = { error: 'invalid_credentials', message: 'The username, password or code is not correct' };
const THROTTLED = { error: 'too_many_requests', message: 'Too many failed sign-in attempts from this address; try again later' };

/**
 * The per-IP sign-in limit counts a client's network, not the spelling of its address: an IPv6 client
 * owns at least a /64 and could pick a fresh address for every guess, and an IPv4 client reaches a
 * dual-stack proxy in more than one spelling.
 */
describe('admin sign-in throttle per client network', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    // The sign-ins come through a proxy on loopback that names the client in X-Forwarded-For.
    h = await ApiHarness.start('admin_sign_in_network', {
      TRUST_PROXY: '127.0.0.1/32',
      ADMIN_ALLOWED_CIDRS: '127.0.0.0/8,10.0.0.0/8,::ffff:0:0/96,2001:db8::/32',
      LOGIN_IP_MAX_FAILURES: '5',
      LOGIN_IP_WINDOW_SECONDS: '600',
    });
  });
  afterAll(async () => h?.stop());
  beforeEach(async () => h.dataSource.query(`DELETE FROM login_throttle`));

  const signInFrom = (address: string, attempt: number): Promise<CallResult> =>
    h.call('POST', '/admin/sessions', { body: { username: `guess-${attempt}`, password: 'wrong-password', otp: '000000' }, headers: { 'x-forwarded-for': address } });

  it('refuses a new address of an IPv6 /64 once the /64 has used up the limit, but not another /64', async () => {
    for (let i = 1; i <= 5; i++) {
      const answer = await signInFrom(`2001:db8::${i.toString(16)}`, i);
      expect({ i, status: answer.status, body: answer.body }).toEqual({ i, status: 401, body: REFUSED });
    }
    const refused = await signInFrom('2001:db8::ffff:1234', 6);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(THROTTLED);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(500);
    expect((await signInFrom('2001:DB8:0:0:1::9', 7)).status).toBe(429);

    const neighbour = await signInFrom('2001:db8:0:1::1', 8);
    expect(neighbour.status).toBe(401);
    expect(neighbour.body).toEqual(REFUSED);
  });

  it('counts every spelling of one IPv4 client, plain or IPv4-mapped, against one limit', async () => {
    const spellings = ['10.9.9.9', '::ffff:10.9.9.9', '::FFFF:10.9.9.9', '::ffff:a09:909', '0:0:0:0:0:ffff:0a09:0909'];
    for (const [i, address] of spellings.entries()) {
      const answer = await signInFrom(address, i);
      expect({ address, status: answer.status, body: answer.body }).toEqual({ address, status: 401, body: REFUSED });
    }
    const refused = await signInFrom('::FFFF:A09:909', 9);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(THROTTLED);
    expect((await signInFrom('10.9.9.9', 10)).status).toBe(429);
    expect((await signInFrom('10.9.9.10', 11)).status).toBe(401);
  });
});
