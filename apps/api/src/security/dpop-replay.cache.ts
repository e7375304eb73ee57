import { createHash } from 'node:crypto';

import type { ApiConfig } from '@consentry/config';
import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

import { API_CONFIG } from '../api.tokens.js';
import { DPOP_PROOF_WINDOW_SECONDS } from './access-token.verifier.js';

/**
 * Remembers the jti of every accepted DPoP proof for as long as the proof could still be accepted, so a
 * captured proof cannot be replayed (RFC 9449 11.1).
 */
@Injectable()
export class DpopReplayCache {
  constructor(
    private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Records a validated proof's jti (with its iat and key); false when it was already used. */
  async claim(jti: string, iat: number, jkt: string): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    // Kept until iat + window has passed: after that the proof is refused as too old anyway.
    const ttl = Math.max(1, iat + DPOP_PROOF_WINDOW_SECONDS - now + 1);
    const digest = createHash('sha256').update(`${jkt}\u0000${jti}`).digest('base64url');
    const stored = await this.redis.set(`${this.config.redisPrefix}:dpop-jti:${digest}`, '1', 'EX', ttl, 'NX');
    return stored === 'OK';
  }
}
