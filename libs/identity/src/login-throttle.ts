import { createHash } from 'node:crypto';

import { DataSource, EntityManager } from '@consentry/database';

import { clientNetwork } from './client-network.js';

/** Limits of every sign-in (the PSU's on the auth server and the API's four), from libs/config. */
export interface LoginThrottlePolicy {
  /** Consecutive failures of one username that lock it (PSD2 RTS Art. 4(3)(b): at most 5). */
  maxFailures: number;
  /** How long a username stays locked (PCI DSS 8.3.4: at least 30 minutes). */
  lockoutSeconds: number;
  /** Failed sign-ins from one client network (an IPv4 address, an IPv6 /64) within the window before it is refused with 429. */
  ipMaxFailures: number;
  ipWindowSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = { maxFailures: 5, lockoutSeconds: 30 * 60, ipMaxFailures: 20, ipWindowSeconds: 15 * 60 };

/** Whether a client IP may try to sign in now, and if not, for how long it must wait. */
export type IpAdmission = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export type UsernameRealm = 'psu' | 'admin';

/** A username's standing: consecutive failures so far, and the end of its lock if it is locked now. */
export interface UsernameState {
  failures: number;
  lockedUntil: Date | null;
}

// Consecutive failures are forgotten a day after the last one (or when the lock ends, if later).
const USERNAME_MEMORY_SECONDS = 24 * 3600;
// Expired rows removed by each failure: the table never grows faster than it is emptied.
const PURGE_BATCH = 20;

/**
 * The one sign-in throttle. Counts per client network (a fixed window; clientNetwork: an IPv4 address in
 * any spelling, an IPv6 /64) and per username, known or not, so a username that does not exist is counted
 * and locked exactly like one that does: the answers and the lock tell an attacker nothing about which
 * usernames exist. Rows live in PostgreSQL (`login_throttle`),
 * shared by every API and auth-server instance; every change is one atomic statement. The username is
 * stored only as a SHA-256 digest (a password typed into the username field is not kept).
 */
export class LoginThrottle {
  constructor(
    private readonly dataSource: DataSource,
    private readonly policy: LoginThrottlePolicy = DEFAULT_LOGIN_THROTTLE,
  ) {}

  get maxFailures(): number {
    return this.policy.maxFailures;
  }

  /**
   * Counts an attempt from `ip` before its credentials are checked (so concurrent attempts cannot slip
   * past the limit together); `release` gives it back when the sign-in succeeds.
   */
  async admitIp(ip: string): Promise<IpAdmission> {
    const rows: Array<{ failures: number; retry_after: number }> = await this.dataSource.query(
      `INSERT INTO login_throttle (key, failures, expires_at) VALUES ($1, 1, now() + make_interval(secs => $2))
       ON CONFLICT (key) DO UPDATE
         SET failures = CASE WHEN login_throttle.expires_at <= now() THEN 1 ELSE login_throttle.failures + 1 END,
             expires_at = CASE WHEN login_throttle.expires_at <= now() THEN EXCLUDED.expires_at ELSE login_throttle.expires_at END
       RETURNING failures, ceil(extract(epoch FROM expires_at - now()))::int AS retry_after`,
      [ipKey(ip), this.policy.ipWindowSeconds],
    );
    const row = rows[0]!;
    return row.failures > this.policy.ipMaxFailures ? { allowed: false, retryAfterSeconds: Math.max(1, row.retry_after) } : { allowed: true };
  }

  /** A successful sign-in is not a failure: its admitted attempt is given back. */
  async releaseIp(ip: string): Promise<void> {
    await this.dataSource.query(`UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1 AND expires_at > now()`, [ipKey(ip)]);
  }

  /** A username's standing, read in the sign-in's transaction. */
  async usernameState(manager: EntityManager, realm: UsernameRealm, username: string): Promise<UsernameState> {
    const rows: Array<{ failures: number; locked_until: Date | null }> = await manager.query(
      `SELECT failures, CASE WHEN locked_until > now() THEN locked_until END AS locked_until
         FROM login_throttle WHERE key = $1 AND expires_at > now()`,
      [usernameKey(realm, username)],
    );
    const row = rows[0];
    return row ? { failures: row.failures, lockedUntil: row.locked_until } : { failures: 0, lockedUntil: null };
  }

  /**
   * Counts one failure of `username`; the `maxFailures`-th locks it for `lockoutSeconds` (and the count
   * starts again after the lock). Answers the failures counted, and the lock's end if this one locked.
   */
  async recordUsernameFailure(manager: EntityManager, realm: UsernameRealm, username: string): Promise<{ failures: number; lockedUntil: Date | null }> {
    const memory = Math.max(USERNAME_MEMORY_SECONDS, this.policy.lockoutSeconds);
    // A run starts again when the row has expired or its lock has ended; a locked row stays as it is.
    const rows: Array<{ failures: number; locked_until: Date | null }> = await manager.query(
      `INSERT INTO login_throttle AS t (key, failures, locked_until, expires_at)
       VALUES ($1, 1, CASE WHEN 1 >= $2::int THEN now() + make_interval(secs => $3) END, now() + make_interval(secs => $4))
       ON CONFLICT (key) DO UPDATE
         SET failures = CASE WHEN t.locked_until > now() THEN t.failures
                             WHEN t.expires_at <= now() OR t.locked_until IS NOT NULL THEN 1
                             ELSE t.failures + 1 END,
             locked_until = CASE WHEN t.locked_until > now() THEN t.locked_until
                                 WHEN (CASE WHEN t.expires_at <= now() OR t.locked_until IS NOT NULL THEN 1 ELSE t.failures + 1 END) >= $2::int
                                   THEN now() + make_interval(secs => $3) END,
             expires_at = greatest(t.expires_at, now() + make_interval(secs => $4))
       RETURNING failures, locked_until`,
      [usernameKey(realm, username), this.policy.maxFailures, this.policy.lockoutSeconds, memory],
    );
    const row = rows[0]!;
    await this.purgeExpired(manager);
    return { failures: row.failures, lockedUntil: row.locked_until };
  }

  /** A successful sign-in ends the run of consecutive failures. */
  async clearUsername(manager: EntityManager, realm: UsernameRealm, username: string): Promise<void> {
    await manager.query(`DELETE FROM login_throttle WHERE key = $1`, [usernameKey(realm, username)]);
  }

  private async purgeExpired(manager: EntityManager): Promise<void> {
    await manager.query(
      `DELETE FROM login_throttle WHERE key IN (
         SELECT key FROM login_throttle WHERE expires_at <= now() ORDER BY expires_at LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED)`,
    );
  }
}

// The counter of the client's network, never of the address's spelling: a /64 holder or a mapped IPv4
// spelling would otherwise get a fresh counter per guess.
function ipKey(ip: string): string {
  return `ip:${clientNetwork(ip)}`;
}

function usernameKey(realm: UsernameRealm, username: string): string {
  return `${realm}:${createHash('sha256').update(username).digest('base64url')}`;
}
