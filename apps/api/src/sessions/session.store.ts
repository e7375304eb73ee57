import { createHash, randomBytes } from 'node:crypto';

import type { ApiConfig } from '@consentry/config';
import { DataSource } from '@consentry/database';
import { AdminRole } from '@consentry/identity';
import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

import { API_CONFIG } from '../api.tokens.js';

/** Customer and admin sessions live in separate namespaces: a token of one never opens the other. */
export type SessionRealm = 'customer' | 'admin';

export interface SessionSubject {
  subjectId: string;
  username: string;
  displayName: string;
  /** An admin's roles as its row holds them at this request (admin realm only): never kept in the session. */
  roles?: readonly AdminRole[];
}

export interface IssuedSession {
  accessToken: string;
  /** Seconds of inactivity after which the session ends. */
  expiresIn: number;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A stored session: its subject (without roles) and when it was issued (for the absolute lifetime). */
interface StoredSession extends Omit<SessionSubject, 'roles'> {
  issuedAt: number;
}

// The subject's row as it is now: a session ends as soon as its PSU or admin is locked or removed, and an
// admin's roles come from the same read, so a role taken away is gone at the next request.
const SUBJECT_STILL_ALLOWED: Record<SessionRealm, string> = {
  customer: `SELECT NULL::text[] AS roles FROM psu WHERE psu_id = $1 AND (locked_until IS NULL OR locked_until <= now())`,
  admin: `SELECT roles FROM admin_user WHERE admin_id = $1 AND (locked_until IS NULL OR locked_until <= now())`,
};

/**
 * Opaque bearer sessions in Redis. Only the token's SHA-256 is stored, so a Redis dump holds no usable
 * token; each use (`touch`) renews the idle timeout (PSD2 RTS Art. 4(3)(d): at most 5 minutes of inactivity), no
 * use outlives the absolute lifetime (SESSION_ABSOLUTE_SECONDS), and each re-reads the subject, so a
 * PSU or admin who is locked or removed is out at the next request (and an admin's roles are the row's).
 */
@Injectable()
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly dataSource: DataSource,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async issue(realm: SessionRealm, subject: SessionSubject): Promise<IssuedSession> {
    const accessToken = randomBytes(32).toString('base64url');
    const stored: StoredSession = { subjectId: subject.subjectId, username: subject.username, displayName: subject.displayName, issuedAt: Date.now() };
    await this.redis.set(this.key(realm, accessToken), JSON.stringify(stored), 'EX', this.config.sessionIdleSeconds);
    return { accessToken, expiresIn: this.config.sessionIdleSeconds };
  }

  /** The session's subject, renewing its idle timeout; null for an unknown, idle, too old or no longer allowed one. */
  touch(realm: SessionRealm, accessToken: string): Promise<SessionSubject | null> {
    return this.read(realm, accessToken, true);
  }

  /**
   * As `touch`, without renewing the idle timeout: for re-checking a session while a response it opened
   * is still being sent (a held-open stream is not the PSU's activity).
   */
  peek(realm: SessionRealm, accessToken: string): Promise<SessionSubject | null> {
    return this.read(realm, accessToken, false);
  }

  async end(realm: SessionRealm, accessToken: string): Promise<void> {
    await this.redis.del(this.key(realm, accessToken));
  }

  private async read(realm: SessionRealm, accessToken: string, renew: boolean): Promise<SessionSubject | null> {
    const key = this.key(realm, accessToken);
    const raw = renew ? await this.redis.getex(key, 'EX', this.config.sessionIdleSeconds) : await this.redis.get(key);
    if (raw === null) return null;
    const { issuedAt, subjectId, username, displayName } = JSON.parse(raw) as StoredSession;
    const tooOld = typeof issuedAt !== 'number' || Date.now() - issuedAt > this.config.sessionAbsoluteSeconds * 1000;
    const [row]: Array<{ roles: AdminRole[] | null }> = tooOld ? [] : await this.dataSource.query(SUBJECT_STILL_ALLOWED[realm], [subjectId]);
    if (!row) {
      await this.redis.del(key);
      return null;
    }
    return { subjectId, username, displayName, ...(row.roles === null ? {} : { roles: row.roles }) };
  }

  private key(realm: SessionRealm, accessToken: string): string {
    return `${this.config.redisPrefix}:session:${realm}:${digest(accessToken)}`;
  }
}
