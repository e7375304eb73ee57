import { createHash } from 'node:crypto';

import type { ApiConfig } from '@consentry/config';
import { dpopProofKey, revokedAccessTokenKey } from '@consentry/consents';
import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

import { API_CONFIG } from '../api.tokens.js';
import { DPOP_PROOF_WINDOW_SECONDS } from './access-token.verifier.js';
import { RedisScript } from './redis-script.js';

/** What Redis says of a request's token and proof: usable, a replayed proof, or a revoked token. */
export type ProofClaim = 'fresh' | 'replayed' | 'revoked';

// One script, one round trip: a token revoked at the authorization server (RFC 7009) is refused before
// its proof's jti is spent; otherwise the proof's jti is claimed once (RFC 9449 11.1).
const CLAIM = new RedisScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
if redis.call('SET', KEYS[1], '1', 'EX', tonumber(ARGV[1]), 'NX') then return 1 end
return 0`);

const OUTCOMES: Record<number, ProofClaim> = { 0: 'replayed', 1: 'fresh', 2: 'revoked' };

/**
 * Remembers the jti of every accepted DPoP proof for as long as the proof could still be accepted, so a
 * captured proof cannot be replayed, and checks in the same script that the access token was not revoked.
 */
@Injectable()
export class DpopReplayCache {
  constructor(
    private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Claims a validated proof's jti for `clientId`'s token `tokenJti`. */
  async claim(clientId: string, tokenJti: string, proof: { jti: string; iat: number; jkt: string }): Promise<ProofClaim> {
    const now = Math.floor(Date.now() / 1000);
    // Kept until iat + window has passed: after that the proof is refused as too old anyway.
    const ttl = Math.max(1, proof.iat + DPOP_PROOF_WINDOW_SECONDS - now + 1);
    const digest = createHash('sha256').update(`${proof.jkt}\u0000${proof.jti}`).digest('base64url');
    const prefix = this.config.redisPrefix;
    const outcome = await CLAIM.run(this.redis, [dpopProofKey(prefix, clientId, digest), revokedAccessTokenKey(prefix, clientId, tokenJti)], [ttl]);
    return OUTCOMES[Number(outcome)] ?? 'replayed';
  }
}
