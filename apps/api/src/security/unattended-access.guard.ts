import { randomUUID } from 'node:crypto';

import type { ApiConfig } from '@consentry/config';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';

import { API_CONFIG, LIMIT_CLOCK, LimitClock } from '../api.tokens.js';
import { CUSTOMER_IP_HEADER } from './fapi-headers.guard.js';
import { RedisScript } from './redis-script.js';
import { SecurityException, SecurityExceptionCode } from './security.exception.js';

/** PSD2 RTS Art. 36(5)(b): without the PSU present, at most four accesses in any 24 hours per account. */
export const UNATTENDED_CALLS_PER_WINDOW = 4;
export const UNATTENDED_WINDOW_MS = 24 * 3600 * 1000;

// One sorted set per (TPP, account) of the times of its counted calls. Trims what left the window, then
// admits the call only when every account it reads is under the limit, so a refused call counts nowhere.
// KEYS: the sets; ARGV: now (ms), window (ms), limit, the call's member. Returns 0 when admitted, else the
// milliseconds until the oldest counted call of the fullest account leaves the window.
const RESERVE = new RedisScript(`
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local wait = 0
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local free = tonumber(oldest[2]) + window - now
    if free > wait then wait = free end
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
end
return 0`);

const RELEASE = new RedisScript(`
for _, key in ipairs(KEYS) do redis.call('ZREM', key, ARGV[1]) end
return 0`);

interface UnattendedReservation {
  keys: string[];
  member: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by UnattendedAccessGuard: this call's place in the unattended window, until it is answered. */
    unattendedReservation?: UnattendedReservation;
  }
}

/**
 * Calls without x-fapi-customer-ip-address are the TPP reading on its own (unattended). Each counts
 * against every account it reads (the path account, or all the consent's on a bulk call), per TPP, in a
 * rolling 24-hour window (not a calendar day: four calls at 23:59 and four at 00:00 would be eight in two
 * minutes); the fifth gets 429 with Retry-After = when the oldest counted call leaves the window.
 *
 * Only calls that are answered count. Guards run before validation (Nest's pipes), so the guard reserves
 * the call's place and registerUnattendedAccessHook releases it when the answer is an error (a 400 for a
 * bad query, a 404, an unavailable bank), before that answer is sent. A reservation held by a call that
 * then fails can make a concurrent call wait: the limit is never exceeded, whichever way the race goes.
 */
@Injectable()
export class UnattendedAccessGuard implements CanActivate {
  constructor(
    private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LIMIT_CLOCK) private readonly clock: LimitClock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.headers[CUSTOMER_IP_HEADER] !== undefined) return true;
    const consent = request.consent;
    if (!consent) throw new Error('UnattendedAccessGuard runs after ConsentGuard');
    const accountId = (request.params as Record<string, string | undefined>).AccountId;
    const accounts = accountId ? [accountId] : consent.accountIds;
    if (accounts.length === 0) return true;
    // ConsentGuard has checked the consent is the caller's. One hash tag per TPP keeps the keys of one
    // call in one cluster slot.
    const keys = accounts.map((id) => `${this.config.redisPrefix}:unattended:{${consent.clientId}}:${id}`);
    const member = randomUUID();
    const waitMs = Number(await RESERVE.run(this.redis, keys, [this.clock(), UNATTENDED_WINDOW_MS, UNATTENDED_CALLS_PER_WINDOW, member]));
    if (waitMs > 0) {
      throw new SecurityException(
        SecurityExceptionCode.UnattendedLimitReached,
        `Without the PSU present an account may be read ${UNATTENDED_CALLS_PER_WINDOW} times in 24 hours; send ${CUSTOMER_IP_HEADER} when the PSU is present`,
        undefined,
        Math.max(1, Math.ceil(waitMs / 1000)),
      );
    }
    request.unattendedReservation = { keys, member };
    return true;
  }
}

/**
 * Releases an unattended call's reservation when its answer is an error, before the answer is sent: a
 * Fastify onSend hook, which costs one property check on every other response (where a Nest interceptor
 * would wrap each OB call in an observable chain).
 */
export function registerUnattendedAccessHook(fastify: FastifyInstance, redis: Redis): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const reservation = request.unattendedReservation;
    if (reservation === undefined || reply.statusCode < 400) return done(null, payload);
    request.unattendedReservation = undefined;
    RELEASE.run(redis, reservation.keys, [reservation.member]).then(
      () => done(null, payload),
      (error: unknown) => done(error as Error),
    );
  });
}
