import type { ApiConfig } from '@consentry/config';
import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

import { API_CONFIG, LIMIT_CLOCK, LimitClock } from '../api.tokens.js';
import { RedisScript } from './redis-script.js';

/**
 * GCRA (generic cell rate algorithm) over one key per TPP: the key holds the TPP's theoretical arrival
 * time (TAT) in milliseconds. A TPP may send `limit` calls back to back, then one per 60000 / limit ms.
 * A Lua function, so the DPoP replay script can define it and call it with its own KEYS and ARGV, and
 * both stay one EVALSHA: `tpp_rate_limit(key, now_ms, interval_ms, tolerance_ms)` returns 0 when the
 * call is admitted (and counted), else the milliseconds until it would be.
 */
export const TPP_RATE_LIMIT_LUA_FUNCTION = `
local function tpp_rate_limit(key, now, interval, tolerance)
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  if tat - now > tolerance then return math.ceil(tat - now - tolerance) end
  tat = tat + interval
  -- %.17g keeps every bit of the fractional TAT (tostring would round it to 14 digits).
  redis.call('SET', key, string.format('%.17g', tat), 'PX', math.ceil(tat - now) + 1)
  return 0
end`;

/** The rate limit alone: KEYS[1] the TPP's key; ARGV now, emission interval, burst tolerance (ms). */
export const TPP_RATE_LIMIT_LUA = `${TPP_RATE_LIMIT_LUA_FUNCTION}
return tpp_rate_limit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))`;

const SCRIPT = new RedisScript(TPP_RATE_LIMIT_LUA);

/** The key (in the TPP's own hash slot) and arguments of TPP_RATE_LIMIT_LUA for one call. */
export function tppRateLimitCall(redisPrefix: string, clientId: string, perMinute: number, nowMs: number): { keys: [string]; args: [number, number, number] } {
  const interval = 60_000 / perMinute;
  return { keys: [`${redisPrefix}:tpp-rate:{${clientId}}`], args: [nowMs, interval, 60_000 - interval] };
}

/**
 * The per-TPP rate limit of every OB call, attended or not (TPP_RATE_LIMIT_PER_MINUTE). Shared by every
 * API instance through Redis; run by TppAuthenticator beside the DPoP replay check, in the same round trip.
 */
@Injectable()
export class TppRateLimit {
  constructor(
    private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LIMIT_CLOCK) private readonly clock: LimitClock,
  ) {}

  get perMinute(): number {
    return this.config.tppRateLimitPerMinute;
  }

  /** Counts one call of `clientId`: 0 when admitted, else the whole seconds until it would be (Retry-After). */
  async take(clientId: string): Promise<number> {
    const { keys, args } = tppRateLimitCall(this.config.redisPrefix, clientId, this.config.tppRateLimitPerMinute, this.clock());
    const waitMs = Number(await SCRIPT.run(this.redis, keys, args));
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }
}
