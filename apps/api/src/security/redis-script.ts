import { createHash } from 'node:crypto';

import { Redis } from 'ioredis';

/**
 * A Lua script run by its SHA-1 (EVALSHA), sent in full only when Redis does not know it yet (after a
 * restart or SCRIPT FLUSH): a script on every request should not cost its text on the wire.
 */
export class RedisScript {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
