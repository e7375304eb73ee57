import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import { checkRedisPersistence } from './redis-persistence.check.js';

function fakeRedis(settings: Record<string, string> | Error): Redis {
  return {
    config: async (_: string, name: string) => {
      if (settings instanceof Error) throw settings;
      return [name, settings[name]];
    },
  } as unknown as Redis;
}

describe('checkRedisPersistence', () => {
  it('says nothing when AOF is on and nothing is evicted', async () => {
    await expect(checkRedisPersistence(fakeRedis({ appendonly: 'yes', 'maxmemory-policy': 'noeviction' }))).resolves.toBeUndefined();
  });

  it('names both problems in one line', async () => {
    await expect(checkRedisPersistence(fakeRedis({ appendonly: 'no', 'maxmemory-policy': 'allkeys-lru' }))).resolves.toBe(
      'Redis is not production-safe: appendonly is "no" (queued audit jobs are lost on a restart); ' +
        'maxmemory-policy is "allkeys-lru" (queued jobs can be evicted); production needs appendonly yes and maxmemory-policy noeviction',
    );
  });

  it('warns when the settings cannot be read', async () => {
    await expect(checkRedisPersistence(fakeRedis(new Error("ERR unknown command 'CONFIG'")))).resolves.toBe(
      "cannot read Redis persistence settings (ERR unknown command 'CONFIG'): make sure the server runs with appendonly yes and maxmemory-policy noeviction",
    );
  });
});
