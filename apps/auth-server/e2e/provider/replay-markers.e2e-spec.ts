import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectRedis } from '@consentry/database';
import { createTestRedis, TestRedis } from '@consentry/testing';
import { Redis } from 'ioredis';

import { RedisReplayMarkers } from '../../src/provider/replay-markers.js';

describe('RedisReplayMarkers (client assertion and DPoP jti)', () => {
  let testRedis: TestRedis;
  let redis: Redis;
  let markers: RedisReplayMarkers;

  beforeAll(async () => {
    testRedis = createTestRedis('replay_markers');
    redis = await connectRedis(testRedis.url, { enableAutoPipelining: true });
    markers = new RedisReplayMarkers(redis, testRedis.prefix);
  });
  afterAll(async () => {
    redis?.disconnect();
    await testRedis?.cleanup();
  });

  it('accepts a jti once and refuses it after', async () => {
    const jti = randomUUID();
    const exp = Math.floor(Date.now() / 1000) + 60;
    expect(await markers.claim('tpp-a', jti, exp)).toBe(true);
    expect(await markers.claim('tpp-a', jti, exp)).toBe(false);
    // Another issuer's identical jti is a different marker.
    expect(await markers.claim('tpp-b', jti, exp)).toBe(true);
  });

  it('lets exactly one of 50 concurrent presentations of one jti through', async () => {
    const jti = randomUUID();
    const exp = Math.floor(Date.now() / 1000) + 60;
    const results = await Promise.all(Array.from({ length: 50 }, () => markers.claim('tpp-a', jti, exp)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps a marker until the assertion could no longer be accepted', async () => {
    const jti = randomUUID();
    await markers.claim('tpp-a', jti, Math.floor(Date.now() / 1000) + 90);
    const keys = await redis.keys(`${testRedis.prefix}:auth:replay:*`);
    const ttls = await Promise.all(keys.map((key) => redis.ttl(key)));
    expect(Math.max(...ttls)).toBeGreaterThan(80);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(91);
  });
});
