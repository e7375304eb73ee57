import { currentTotpCode } from '@consentry/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AttackPlatform, expectNothingWritten, HttpResult, secretsInLogs, send, startAttackPlatform } from '../support/attack-platform.js';

const REFUSED = { error: 'invalid_credentials', message: 'The username, password or code is not correct' };
// A failed sign-in bumps the throttle's counters (and the subject's copy): that is its point.
const COUNTED = { ignoreTables: ['login_throttle', 'psu', 'admin_user'] };

/**
 * PCI DSS 8.3.4 and PSD2 RTS Art. 4(3)(b): a username is locked after 5 consecutive failures, for 30
 * minutes; OWASP API2:2023 (broken authentication): no username enumeration, a per-IP throttle.
 */
describe('PCI DSS 8.3.4 / PSD2 RTS Art. 4(3)(b): the sign-in throttle', () => {
  let platform: AttackPlatform;
  const api = (path: string) => `${platform.env.API_URL!}${path}`;

  beforeAll(async () => {
    platform = await startAttackPlatform('sign_in');
  });
  afterAll(async () => platform?.stop());

  function signIn(path: '/customer/sessions' | '/admin/sessions', body: Record<string, string>): Promise<HttpResult> {
    return send(api(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  it('refuses a locked PSU’s right password and code with the wrong-password answer (no 423, no "locked")', async () => {
    const bob = platform.sandbox.psus[1]!;
    for (let i = 0; i < 5; i++) expect((await signIn('/customer/sessions', { username: bob.username, password: 'wrong-password', otp: '000000' })).status).toBe(401);
    const locked = await expectNothingWritten(
      platform,
      async () => signIn('/customer/sessions', { username: bob.username, password: bob.password, otp: await currentTotpCode(bob.totpSecret) }),
      // The attempt is a failed sign-in of a known PSU: recorded for the payment-risk rules too.
      { audit: ['psu.login.failed'], ignoreTables: ['login_throttle', 'psu_sign_in_failure'] },
    );
    expect(locked.status).toBe(401);
    expect(locked.body).toEqual(REFUSED);
  });

  it('refuses an unknown username with the same answer, and counts it', async () => {
    const unknown = await expectNothingWritten(platform, () => signIn('/customer/sessions', { username: 'no-such-psu', password: 'wrong-password', otp: '000000' }), {
      audit: ['psu.login.failed'],
      ...COUNTED,
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(REFUSED);
  });

  it('refuses a locked administrator’s right credentials with the wrong-password answer', async () => {
    const { admin } = platform.sandbox;
    for (let i = 0; i < 5; i++) expect((await signIn('/admin/sessions', { username: admin.username, password: 'wrong-password', otp: '000000' })).status).toBe(401);
    const locked = await signIn('/admin/sessions', { username: admin.username, password: admin.password, otp: await currentTotpCode(admin.totpSecret) });
    expect(locked.status).toBe(401);
    expect(locked.body).toEqual(REFUSED);
  });

  it('refuses the client IP past LOGIN_IP_MAX_FAILURES with 429 and Retry-After, counting nothing else', async () => {
    let last: HttpResult | undefined;
    for (let i = 0; i < 25 && last?.status !== 429; i++) last = await signIn('/customer/sessions', { username: `spray-${i}`, password: 'wrong-password', otp: '000000' });
    expect(last?.status).toBe(429);
    const alice = platform.sandbox.psus[0]!;
    const throttled = await expectNothingWritten(
      platform,
      async () => signIn('/customer/sessions', { username: alice.username, password: alice.password, otp: await currentTotpCode(alice.totpSecret) }),
      { ignoreTables: ['login_throttle'] },
    );
    expect(throttled.status).toBe(429);
    expect(throttled.body).toEqual({ error: 'too_many_requests', message: 'Too many failed sign-in attempts from this address; try again later' });
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
