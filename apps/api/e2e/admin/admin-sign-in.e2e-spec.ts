import { currentTotpCode, passwordHashingStats } from '@consentry/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult } from '../support/api-harness.js';

const REFUSED = { error: 'invalid_credentials', message: 'The username, password or code is not correct' };

describe('admin sign-in (POST /admin/sessions and the admin console) behind the one throttle', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await ApiHarness.start('admin_sign_in', { LOGIN_IP_MAX_FAILURES: '10', LOGIN_IP_WINDOW_SECONDS: '600' });
  });
  afterAll(async () => h?.stop());
  beforeEach(async () => {
    await h.dataSource.query(`DELETE FROM login_throttle`);
    await h.dataSource.query(`UPDATE admin_user SET failed_login_count = 0, locked_until = NULL`);
  });

  async function signIn(body: Record<string, string>): Promise<{ result: CallResult; hashes: number }> {
    const before = passwordHashingStats().runs;
    const result = await h.call('POST', '/admin/sessions', { body });
    return { result, hashes: passwordHashingStats().runs - before };
  }

  async function consoleSignIn(fields: Record<string, string>): Promise<CallResult> {
    const page = await h.call('GET', '/admin-console/login');
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(String(page.body))![1]!;
    const form = new URLSearchParams({ csrf, ...fields }).toString();
    return h.call('POST', '/admin-console/login', { rawBody: form, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie } });
  }

  it('answers a wrong password, an unknown admin and a locked admin with the same 401, each after exactly one hash', async () => {
    const { admin } = h.sandbox;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await signIn({ username: admin.username, password: 'wrong-password', otp: '000000' }));
    answers.push(await signIn({ username: 'root', password: 'wrong-password', otp: '000000' }));
    answers.push(await signIn({ username: admin.username, password: admin.password, otp: await currentTotpCode(admin.totpSecret) }));
    for (const { result, hashes } of answers) {
      expect(result.status).toBe(401);
      expect(result.body).toEqual(REFUSED);
      expect(hashes).toBe(1);
    }
    // The console's form of the locked admin: the wrong-password page, not a "locked" one.
    const posted = await consoleSignIn({ username: admin.username, password: admin.password, otp: '000000' });
    expect(posted.status).toBe(401);
    expect(String(posted.body)).toContain('The username, password or one-time code is not correct.');
  });

  it('refuses the client IP past LOGIN_IP_MAX_FAILURES with 429 and Retry-After, on the API and the console', async () => {
    for (let i = 0; i < 10; i++) expect((await signIn({ username: `guess-${i}`, password: 'wrong-password', otp: '000000' })).result.status).toBe(401);
    const { result, hashes } = await signIn({ username: 'root', password: 'wrong-password', otp: '000000' });
    expect(result.status).toBe(429);
    expect(result.body).toEqual({ error: 'too_many_requests', message: 'Too many failed sign-in attempts from this address; try again later' });
    expect(Number(result.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(hashes).toBe(0);

    const posted = await consoleSignIn({ username: 'root', password: 'wrong-password', otp: '000000' });
    expect(posted.status).toBe(429);
    expect(Number(posted.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(String(posted.body)).toContain('Too many failed sign-in attempts from your network. Try again later.');
  });
});
