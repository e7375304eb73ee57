import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sign-in throttle's counters (libs/identity login-throttle.ts): one row per client IP (`ip:<ip>`,
 * failures in a fixed window) and per username of each realm (`psu:<sha256>`, `admin:<sha256>`,
 * consecutive failures and the lock), known usernames and unknown ones alike. Rows carry their expiry;
 * each recorded failure removes a few expired ones.
 */
export class LoginThrottle1764620000000 implements MigrationInterface {
  name = 'LoginThrottle1764620000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_throttle (
        key text PRIMARY KEY,
        failures integer NOT NULL,
        locked_until timestamptz,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX login_throttle_expires_idx ON login_throttle (expires_at)`);
    // The auth server's former per-IP counters lived in oidc_model.
    await q.query(`DELETE FROM oidc_model WHERE model = 'LoginThrottle'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS login_throttle`);
  }
}
