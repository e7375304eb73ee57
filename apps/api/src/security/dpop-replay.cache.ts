import { createHash } from 'node:crypto';

import type { ApiConfig } from '@consentry/config';
import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';

import { API_CONFIG } from '../api.tokens.js';

/** How far a proof's iat may lie from now: oauth4webapi's validateJwtAccessToken accepts ±300 s. */
export const DPOP_PROOF_WINDOW_SECONDS = 300;

/**
 * Remembers the jti of every accepted DPoP proof for as long as the proof could still be accepted, so a
 * captured proof cannot be replayed (RFC 9449 11.1; oauth4webapi leaves this to the resource server).
 */
@Injectable()
export class DpopReplayCache {
  constructor(
    private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Records the proof's jti; false when it was already used. The proof must be validated already. */
  async claim(proof: string, jkt: string): Promise<boolean> {
    const { jti, iat } = decodeJwt(proof);
    if (typeof jti !== 'string' || typeof iat !== 'number') return false;
    const now = Math.floor(Date.now() / 1000);
    // Kept until iat + window has passed: after that the proof is refused as too old anyway.
    const ttl = Math.max(1, iat + DPOP_PROOF_WINDOW_SECONDS - now + 1);
    const digest = createHash('sha256').update(`${jkt}\u0000${jti}`).digest('base64url');
    const stored = await this.redis.set(`${this.config.redisPrefix}:dpop-jti:${digest}`, '1', 'EX', ttl, 'NX');
    return stored === 'OK';
  }
}
