import type { ApiConfig } from '@consentry/config';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';

import { API_CONFIG } from '../api.tokens.js';
import { CUSTOMER_IP_HEADER } from './fapi-headers.guard.js';
import { SecurityException, SecurityExceptionCode } from './security.exception.js';

/** PSD2 RTS Art. 36(5)(b): without the PSU present, at most four accesses a day per account. */
export const UNATTENDED_CALLS_PER_DAY = 4;

// Counts only when every account is still under the limit, so a refused call does not use up tomorrow's.
const CLAIM_SCRIPT = `
local limit = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= limit then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('INCR', key)
  redis.call('EXPIRE', key, tonumber(ARGV[2]))
end
return 1`;

/** Seconds until the next UTC midnight, when the day's counters start again. */
export function secondsUntilUtcMidnight(now = new Date()): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
}

/**
 * Calls without x-fapi-customer-ip-address are the TPP reading on its own (unattended). Each counts
 * against every account it reads (the path account, or all the consent's on a bulk call), per consent
 * and UTC day, in Redis under the configured prefix; the fifth gets 429 with Retry-After.
 */
@Injectable()
export class UnattendedAccessGuard implements CanActivate {
  constructor(
    private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.headers[CUSTOMER_IP_HEADER] !== undefined) return true;
    const consent = request.consent;
    if (!consent) throw new Error('UnattendedAccessGuard runs after ConsentGuard');
    const accountId = (request.params as Record<string, string | undefined>).AccountId;
    const accounts = accountId ? [accountId] : consent.accountIds;
    if (accounts.length === 0) return true;
    const day = new Date().toISOString().slice(0, 10);
    // One hash tag per consent keeps the keys of one call in one cluster slot.
    const keys = accounts.map((id) => `${this.config.redisPrefix}:unattended:{${consent.consentId}}:${id}:${day}`);
    const granted = (await this.redis.eval(CLAIM_SCRIPT, keys.length, ...keys, UNATTENDED_CALLS_PER_DAY, 2 * 24 * 3600)) as number;
    if (granted !== 1) {
      throw new SecurityException(
        SecurityExceptionCode.UnattendedLimitReached,
        `Without the PSU present an account may be read ${UNATTENDED_CALLS_PER_DAY} times a day under one consent; send ${CUSTOMER_IP_HEADER} when the PSU is present`,
        undefined,
        secondsUntilUtcMidnight(),
      );
    }
    return true;
  }
}
