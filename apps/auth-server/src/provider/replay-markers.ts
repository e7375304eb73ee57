import { createHash } from 'node:crypto';

import { Redis } from 'ioredis';
import Provider from 'oidc-provider';

/**
 * Single-use markers for client assertion `jti`s (RFC 7523 section 3, FAPI 2.0 5.3.2.1) and DPoP proof
 * `jti`s (RFC 9449 section 11.1), shared by every auth-server instance through Redis. One `SET NX EX` per
 * marker: of two concurrent requests carrying the same `jti`, exactly one gets `OK`, with no read-then-write
 * window. A marker lives until the assertion or proof could no longer be accepted anyway.
 */
export class RedisReplayMarkers {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  /** True the first time `jti` of `iss` is presented before `exp` (epoch seconds); false for a replay. */
  async claim(iss: string, jti: string, exp: number): Promise<boolean> {
    // Hashed as oidc-provider's ReplayDetection does: bounded key length whatever the client sends.
    const id = createHash('sha256').update(`${iss}${jti}`).digest('base64url');
    const ttl = Math.max(1, Math.ceil(exp - Date.now() / 1000));
    return (await this.redis.set(`${this.keyPrefix}:auth:replay:${id}`, '1', 'EX', ttl, 'NX')) === 'OK';
  }
}

type ReplayDetectionClass = { unique(iss: string, jti: string, exp: number): Promise<boolean> };

/**
 * Routes oidc-provider's replay checks (`ReplayDetection.unique`, called for every client assertion and
 * DPoP proof) to `markers`. The provider's own implementation is a `find` then a `save` through the
 * adapter: two round trips and a window in which two concurrent requests both pass.
 */
export function useReplayMarkers(provider: Provider, markers: RedisReplayMarkers): void {
  const replayDetection = provider.ReplayDetection as unknown as ReplayDetectionClass;
  Object.defineProperty(replayDetection, 'unique', {
    value: (iss: string, jti: string, exp: number) => markers.claim(iss, jti, exp),
    configurable: true,
    writable: true,
  });
}
