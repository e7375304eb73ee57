import { currentTotpCode, passwordHashingStats } from '@consentry/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult } from '../support/api-harness.js';

const REFUSED = { error: 'invalid_credentials', message: 'The username, password or code is not correct' };

describe('customer sign-in (POST /customer/sessions and the dashboard) behind the one throttle', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await ApiHarness.start('customer_sign_in', { LOGIN_IP_MAX_FAILURES: '12', LOGIN_IP_WINDOW_SECONDS: '600' });
  });
  afterAll(async () => h?.stop());
  beforeEach(async () => {
    await h.dataSource.query(`DELETE FROM login_throttle`);
    await h.dataSource.query(`UPDATE psu SET failed_login_count = 0, locked_until = NULL`);
  });

  /** One sign-in and the number of password hashes it ran (libs/identity's counter, in this process). */
  async function signIn(body: Record<string, string>): Promise<{ result: CallResult; hashes: number }> {
    const before = passwordHashingStats().runs;
    const result = await h.call('POST', '/customer/sessions', { body });
    return { result, hashes: passwordHashingStats().runs - before };
  }

  it('answers a wrong password, an unknown username and a locked account with the same 401, each after exactly one hash', async () => {
    const bob = h.sandbox.psus.find((p) => p.username === 'bob')!;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await signIn({ username: 'bob', password: 'wrong-password', otp: '000000' }));
    answers.push(await signIn({ username: 'nobody-by-this-name', password: 'wrong-password', otp: '000000' }));
    // bob is locked now: his right password and code get the same answer, after the same single hash.
    answers.push(await signIn({ username: 'bob', password: bob.password, otp: await currentTotpCode(bob.totpSecret) }));
    for (const { result, hashes } of answers) {
      expect(result.status).toBe(401);
      expect(result.body).toEqual(REFUSED);
      expect(result.headers.get('retry-after')).toBeNull();
      expect(hashes).toBe(1);
    }
    const [row] = await h.dataSource.query(`SELECT locked_until FROM psu WHERE username = 'bob'`);
    expect((row.locked_until as Date).getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
  });

  it('locks an unknown username after as many failures as a real one', async () => {
    for (let i = 0; i < 5; i++) await signIn({ username: 'nobody-by-this-name', password: 'wrong-password', otp: '000000' });
    const rows: Array<{ locked: boolean }> = await h.dataSource.query(`SELECT locked_until > now() AS locked FROM login_throttle WHERE key LIKE 'psu:%'`);
    expect(rows).toEqual([{ locked: true }]);
  });

  it('refuses the client IP past LOGIN_IP_MAX_FAILURES with 429 and Retry-After, without a hash', async () => {
    for (let i = 0; i < 12; i++) {
      const { result } = await signIn({ username: `guess-${i}`, password: 'wrong-password', otp: '000000' });
      expect(result.status).toBe(401);
    }
    const alice = h.sandbox.psus.find((p) => p.username === 'alice')!;
    const { result, hashes } = await signIn({ username: 'alice', password: alice.password, otp: await currentTotpCode(alice.totpSecret) });
    expect(result.status).toBe(429);
    expect(result.body).toEqual({ error: 'too_many_requests', message: 'Too many failed sign-in attempts from this address; try again later' });
    const wait = Number(result.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(500);
    expect(wait).toBeLessThanOrEqual(600);
    expect(hashes).toBe(0);

    // The dashboard's sign-in form is the same throttle: a page with 429 and Retry-After.
    const page = await h.call('GET', '/dashboard/login');
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(String(page.body))![1]!;
    const form = new URLSearchParams({ csrf, username: 'alice', password: alice.password, otp: '000000' }).toString();
    const posted = await h.call('POST', '/dashboard/login', { rawBody: form, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie } });
    expect(posted.status).toBe(429);
    expect(Number(posted.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(String(posted.body)).toContain('Too many failed sign-in attempts from your network. Try again later.');
  });

  it('answers the dashboard form of a locked PSU as a wrong password: 401 and the same text', async () => {
    for (let i = 0; i < 5; i++) await signIn({ username: 'carol', password: 'wrong-password', otp: '000000' });
    const carol = h.sandbox.psus.find((p) => p.username === 'carol')!;
    const page = await h.call('GET', '/dashboard/login');
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(String(page.body))![1]!;
    const form = new URLSearchParams({ csrf, username: 'carol', password: carol.password, otp: await currentTotpCode(carol.totpSecret) }).toString();
    const posted = await h.call('POST', '/dashboard/login', { rawBody: form, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie } });
    expect(posted.status).toBe(401);
    expect(String(posted.body)).toContain('The username, password or one-time code is not correct.');
  });
});
