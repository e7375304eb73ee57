import { createHash, randomBytes } from 'node:crypto';

import type { ApiConfig } from '@consentry/config';
import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

import { API_CONFIG } from '../api.tokens.js';

/** Customer and admin sessions live in separate namespaces: a token of one never opens the other. */
export type SessionRealm = 'customer' | 'admin';

export interface SessionSubject {
  subjectId: string;
  username: string;
  displayName: string;
}

export interface IssuedSession {
  accessToken: string;
  /** Seconds of inactivity after which the session ends. */
  expiresIn: number;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Opaque bearer sessions in Redis. Only the token's SHA-256 is stored, so a Redis dump holds no usable
 * token; each use renews the idle timeout (PSD2 RTS Art. 4(3)(d): at most 5 minutes of inactivity).
 */
@Injectable()
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async issue(realm: SessionRealm, subject: SessionSubject): Promise<IssuedSession> {
    const accessToken = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(realm, accessToken), JSON.stringify(subject), 'EX', this.config.sessionIdleSeconds);
    return { accessToken, expiresIn: this.config.sessionIdleSeconds };
  }

  /** The session's subject, renewing its idle timeout; null for an unknown or expired token. */
  async touch(realm: SessionRealm, accessToken: string): Promise<SessionSubject | null> {
    const stored = await this.redis.getex(this.key(realm, accessToken), 'EX', this.config.sessionIdleSeconds);
    return stored === null ? null : (JSON.parse(stored) as SessionSubject);
  }

  async end(realm: SessionRealm, accessToken: string): Promise<void> {
    await this.redis.del(this.key(realm, accessToken));
  }

  private key(realm: SessionRealm, accessToken: string): string {
    return `${this.config.redisPrefix}:session:${realm}:${digest(accessToken)}`;
  }
}
