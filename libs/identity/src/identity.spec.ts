import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { CredentialAuthenticator, totpSecretContext } from './credential-authenticator.js';
import { EnvironmentKeyManagement } from './key-management.js';
import { hashPassword } from './password.js';
import { currentTotpCode, generateTotpSecret } from './second-factor.js';

const keys = new EnvironmentKeyManagement(Buffer.alloc(32, 7));

describe('EnvironmentKeyManagement', () => {
  it('round-trips and binds the ciphertext to its context', () => {
    const sealed = keys.encrypt('JBSWY3DPEHPK3PXP', 'psu:1:totp');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(keys.decrypt(sealed, 'psu:1:totp')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => keys.decrypt(sealed, 'psu:2:totp')).toThrow();
  });
});

describe('CredentialAuthenticator', () => {
  let db: TestDatabase;
  let authenticator: CredentialAuthenticator;
  let secret: string;
  let psuId: string;

  beforeAll(async () => {
    db = await createTestDatabase('identity');
    secret = generateTotpSecret();
    const [row] = await db.dataSource.query(
      `INSERT INTO psu (username, display_name, password_hash, totp_secret_enc) VALUES ('alice', 'Alice', $1, 'pending') RETURNING psu_id`,
      [await hashPassword('correct horse')],
    );
    psuId = row.psu_id;
    await db.dataSource.query(`UPDATE psu SET totp_secret_enc = $2 WHERE psu_id = $1`, [
      psuId,
      keys.encrypt(secret, totpSecretContext('psu', psuId)),
    ]);
    authenticator = new CredentialAuthenticator(db.dataSource, keys, { maxFailures: 5, lockoutSeconds: 1800, ipMaxFailures: 1000, ipWindowSeconds: 900 });
  });
  afterAll(async () => db?.drop());

  it('accepts password and TOTP, and refuses the same code twice', async () => {
    const otp = await currentTotpCode(secret);
    await expect(authenticator.authenticatePsu({ username: 'alice', password: 'correct horse', otp, ip: '127.0.0.1' })).resolves.toMatchObject({
      ok: true,
      subjectId: psuId,
    });
    await expect(authenticator.authenticatePsu({ username: 'alice', password: 'correct horse', otp, ip: '127.0.0.1' })).resolves.toEqual({
      ok: false,
      reason: 'invalid_credentials',
    });
  });

  it('locks the PSU on the 5th consecutive failure and refuses even the right credentials', async () => {
    await db.dataSource.query(`UPDATE psu SET failed_login_count = 0, locked_until = NULL, last_totp_step = NULL`);
    await db.dataSource.query(`DELETE FROM login_throttle`);
    await db.dataSource.query(`DELETE FROM psu_sign_in_failure`);
    // Past the two days' retention: removed by the next failures; a lock still in force then is kept.
    await db.dataSource.query(
      `INSERT INTO psu_sign_in_failure (psu_id, failed_at, locked_until) VALUES ('expired', now() - interval '3 days', NULL), ('long-lock', now() - interval '3 days', now() + interval '1 hour')`,
    );
    for (let i = 0; i < 4; i++) {
      await expect(authenticator.authenticatePsu({ username: 'alice', password: 'wrong', otp: '000000', ip: '127.0.0.1' })).resolves.toEqual({
        ok: false,
        reason: 'invalid_credentials',
      });
    }
    const fifth = await authenticator.authenticatePsu({ username: 'alice', password: 'wrong', otp: '000000', ip: '127.0.0.1' });
    expect(fifth).toMatchObject({ ok: false, reason: 'locked' });
    const otp = await currentTotpCode(secret);
    await expect(authenticator.authenticatePsu({ username: 'alice', password: 'correct horse', otp, ip: '127.0.0.1' })).resolves.toMatchObject({
      ok: false,
      reason: 'locked',
    });
    // Each failure of the known PSU is recorded for the payment-risk rules, the lock with its end; the attempt while locked too.
    const failures: Array<{ psu_id: string; locked: boolean }> = await db.dataSource.query(
      `SELECT psu_id, locked_until IS NOT NULL AS locked FROM psu_sign_in_failure ORDER BY failure_id`,
    );
    expect(failures).toEqual([{ psu_id: 'long-lock', locked: true }, ...[false, false, false, false, true, false].map((locked) => ({ psu_id: psuId, locked }))]);
    const events = await db.dataSource.query(`SELECT event FROM audit_outbox ORDER BY created_seq`);
    const types = events.map((r: { event: { type: string } }) => r.event.type);
    expect(types).toContain('psu.locked');
    expect(JSON.stringify(events)).not.toContain('correct horse');
    expect(JSON.stringify(events)).not.toContain(otp);
  });

  it('answers an unknown username exactly like a wrong password', async () => {
    await expect(authenticator.authenticatePsu({ username: 'mallory', password: 'x', otp: '123456', ip: '127.0.0.1' })).resolves.toEqual({
      ok: false,
      reason: 'invalid_credentials',
    });
    // An unknown username has no PSU: nothing for the payment rules.
    const [{ count }] = await db.dataSource.query(`SELECT count(*)::int AS count FROM psu_sign_in_failure WHERE psu_id NOT IN ($1, 'long-lock')`, [psuId]);
    expect(count).toBe(0);
  });
});
