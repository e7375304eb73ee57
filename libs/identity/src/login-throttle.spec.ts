import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { CredentialAuthenticator, LoginAttempt, LoginOutcome, totpSecretContext } from './credential-authenticator.js';
import { EnvironmentKeyManagement } from './key-management.js';
import { LoginThrottle } from './login-throttle.js';
import { capPasswordHashing, hashPassword, passwordHashingStats, verifyPassword } from './password.js';
import { currentTotpCode, generateTotpSecret } from './second-factor.js';

const keys = new EnvironmentKeyManagement(Buffer.alloc(32, 9));

/** Runs one sign-in and answers its outcome with the number of password hashes it ran. */
async function counted(sign: () => Promise<LoginOutcome>): Promise<{ outcome: LoginOutcome; hashes: number }> {
  const before = passwordHashingStats().runs;
  const outcome = await sign();
  return { outcome, hashes: passwordHashingStats().runs - before };
}

describe('the sign-in throttle', () => {
  let db: TestDatabase;
  let authenticator: CredentialAuthenticator;
  let secret: string;
  const attempt = (username: string, password: string, otp = '000000', ip = '192.0.2.1'): LoginAttempt => ({ username, password, otp, ip });

  beforeAll(async () => {
    db = await createTestDatabase('login_throttle');
    secret = generateTotpSecret();
    const [row] = await db.dataSource.query(
      `INSERT INTO psu (username, display_name, password_hash, totp_secret_enc) VALUES ('dora', 'Dora', $1, 'pending') RETURNING psu_id`,
      [await hashPassword('right password')],
    );
    await db.dataSource.query(`UPDATE psu SET totp_secret_enc = $2 WHERE psu_id = $1`, [row.psu_id, keys.encrypt(secret, totpSecretContext('psu', row.psu_id))]);
    authenticator = new CredentialAuthenticator(db.dataSource, keys, { maxFailures: 3, lockoutSeconds: 1800, ipMaxFailures: 8, ipWindowSeconds: 600 });
  });
  afterAll(async () => db?.drop());
  beforeEach(async () => {
    await db.dataSource.query(`DELETE FROM login_throttle`);
    await db.dataSource.query(`UPDATE psu SET failed_login_count = 0, locked_until = NULL, last_totp_step = NULL`);
  });

  it('answers a wrong password, an unknown username and a locked account alike, each with exactly one password hash', async () => {
    const known: Array<{ outcome: LoginOutcome; hashes: number }> = [];
    const unknown: Array<{ outcome: LoginOutcome; hashes: number }> = [];
    for (let i = 0; i < 4; i++) {
      known.push(await counted(() => authenticator.authenticatePsu(attempt('dora', 'wrong'))));
      unknown.push(await counted(() => authenticator.authenticatePsu(attempt('nobody-here', 'wrong'))));
    }
    const expected = [
      { outcome: { ok: false, reason: 'invalid_credentials' }, hashes: 1 },
      { outcome: { ok: false, reason: 'invalid_credentials' }, hashes: 1 },
      { outcome: { ok: false, reason: 'locked', lockedUntil: expect.any(Date) }, hashes: 1 },
      // Locked: still one hash, the same answer.
      { outcome: { ok: false, reason: 'locked', lockedUntil: expect.any(Date) }, hashes: 1 },
    ];
    expect(known).toEqual(expected);
    expect(unknown).toEqual(expected);
  });

  it('refuses the right credentials while locked, after one hash, and lets them in once the lock has ended', async () => {
    for (let i = 0; i < 3; i++) await authenticator.authenticatePsu(attempt('dora', 'wrong'));
    const otp = await currentTotpCode(secret);
    const locked = await counted(() => authenticator.authenticatePsu(attempt('dora', 'right password', otp)));
    expect(locked).toEqual({ outcome: { ok: false, reason: 'locked', lockedUntil: expect.any(Date) }, hashes: 1 });
    const [row] = await db.dataSource.query(`SELECT locked_until FROM psu WHERE username = 'dora'`);
    expect((row.locked_until as Date).getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);

    await db.dataSource.query(`UPDATE login_throttle SET locked_until = now() - interval '1 second'`);
    await db.dataSource.query(`UPDATE psu SET locked_until = NULL`);
    await expect(authenticator.authenticatePsu(attempt('dora', 'right password', otp))).resolves.toMatchObject({ ok: true });
  });

  it('counts a username’s failures whatever the client IP, so spreading guesses over addresses does not help', async () => {
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await authenticator.authenticatePsu(attempt('nobody-here', 'wrong', '000000', `198.51.100.${i}`)));
    expect(outcomes.map((o) => !o.ok && o.reason)).toEqual(['invalid_credentials', 'invalid_credentials', 'locked']);
  });

  it('refuses a client IP past its limit with the time to wait, without running a hash', async () => {
    for (let i = 0; i < 8; i++) await authenticator.authenticatePsu(attempt(`user-${i}`, 'wrong'));
    const otp = await currentTotpCode(secret);
    const throttled = await counted(() => authenticator.authenticatePsu(attempt('dora', 'right password', otp)));
    expect(throttled.hashes).toBe(0);
    expect(throttled.outcome).toEqual({ ok: false, reason: 'throttled', retryAfterSeconds: expect.any(Number) });
    const wait = (throttled.outcome as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(wait).toBeGreaterThan(590);
    expect(wait).toBeLessThanOrEqual(600);
    // Another address is not affected.
    await expect(authenticator.authenticatePsu(attempt('dora', 'wrong', '000000', '192.0.2.99'))).resolves.toEqual({ ok: false, reason: 'invalid_credentials' });
  });

  it('counts concurrent attempts from one IP before checking them, so a burst cannot slip past the limit', async () => {
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => authenticator.authenticatePsu(attempt(`burst-${i}`, 'wrong'))));
    expect(outcomes.filter((o) => !o.ok && o.reason === 'throttled')).toHaveLength(4);
  });

  it('gives a successful sign-in’s attempt back to its IP', async () => {
    for (let i = 0; i < 7; i++) await authenticator.authenticatePsu(attempt(`user-${i}`, 'wrong'));
    await expect(authenticator.authenticatePsu(attempt('dora', 'right password', await currentTotpCode(secret)))).resolves.toMatchObject({ ok: true });
    await expect(authenticator.authenticatePsu(attempt('user-7', 'wrong'))).resolves.toEqual({ ok: false, reason: 'invalid_credentials' });
    await expect(authenticator.authenticatePsu(attempt('user-8', 'wrong'))).resolves.toMatchObject({ ok: false, reason: 'throttled' });
  });

  it('removes expired counters as failures come, so spraying usernames does not grow the table without end', async () => {
    await db.dataSource.query(
      `INSERT INTO login_throttle (key, failures, expires_at) SELECT 'psu:old-' || i, 1, now() - interval '1 minute' FROM generate_series(1, 30) i`,
    );
    await authenticator.authenticatePsu(attempt('nobody-here', 'wrong'));
    await authenticator.authenticatePsu(attempt('nobody-here', 'wrong'));
    const [{ expired }] = await db.dataSource.query(`SELECT count(*)::int AS expired FROM login_throttle WHERE expires_at <= now()`);
    expect(expired).toBe(0);
  });

  it('keeps no username in clear', async () => {
    await authenticator.authenticatePsu(attempt('typed-my-password-here', 'wrong'));
    const rows: Array<{ key: string }> = await db.dataSource.query(`SELECT key FROM login_throttle`);
    expect(rows.map((r) => r.key).sort()).toEqual(['ip:192.0.2.1', expect.stringMatching(/^psu:[A-Za-z0-9_-]{43}$/)]);
  });
});

describe('the sign-in throttle\'s count per client network', () => {
  let db: TestDatabase;
  let throttle: LoginThrottle;

  beforeAll(async () => {
    db = await createTestDatabase('login_throttle_network');
    throttle = new LoginThrottle(db.dataSource, { maxFailures: 3, lockoutSeconds: 1800, ipMaxFailures: 3, ipWindowSeconds: 600 });
  });
  afterAll(async () => db?.drop());
  beforeEach(async () => db.dataSource.query(`DELETE FROM login_throttle`));

  const admitted = async (addresses: string[]) => {
    const answers = [];
    for (const address of addresses) answers.push((await throttle.admitIp(address)).allowed);
    return answers;
  };

  it('counts every spelling of one IPv4 address, mapped into IPv6 or not, against one counter', async () => {
    expect(await admitted(['10.9.9.9', '::ffff:10.9.9.9', '::FFFF:10.9.9.9', '::ffff:a09:909'])).toEqual([true, true, true, false]);
    const rows: Array<{ key: string }> = await db.dataSource.query(`SELECT key FROM login_throttle`);
    expect(rows).toEqual([{ key: 'ip:10.9.9.9' }]);
  });

  it('counts every address of an IPv6 /64 against one counter, and another /64 apart', async () => {
    expect(await admitted(['2001:db8::1', '2001:db8::2', '2001:DB8:0:0:ffff::3', '2001:0db8::4'])).toEqual([true, true, true, false]);
    expect(await admitted(['2001:db8:0:1::1'])).toEqual([true]);
    const rows: Array<{ key: string }> = await db.dataSource.query(`SELECT key FROM login_throttle ORDER BY key`);
    expect(rows).toEqual([{ key: 'ip:2001:db8:0:1::/64' }, { key: 'ip:2001:db8::/64' }]);
  });

  it('gives a successful sign-in\'s attempt back to its network, whichever address of it signed in', async () => {
    expect(await admitted(['2001:db8::1', '2001:db8::2', '2001:db8::3'])).toEqual([true, true, true]);
    await throttle.releaseIp('2001:db8::ffff');
    expect(await admitted(['2001:db8::4', '2001:db8::5'])).toEqual([true, false]);
  });
});

describe('password hashing', () => {
  it('runs at most the cap at once, however many are asked for together', async () => {
    const hash = await hashPassword('pw');
    capPasswordHashing(2);
    let observed = 0;
    const sampler = setInterval(() => (observed = Math.max(observed, passwordHashingStats().inFlight)), 1);
    const before = passwordHashingStats().runs;
    try {
      const results = await Promise.all(Array.from({ length: 8 }, () => verifyPassword(hash, 'pw')));
      expect(results).toEqual(Array(8).fill(true));
    } finally {
      clearInterval(sampler);
    }
    expect(passwordHashingStats().runs - before).toBe(8);
    expect(observed).toBe(2);
    expect(passwordHashingStats()).toMatchObject({ inFlight: 0, waiting: 0 });
  });
});
