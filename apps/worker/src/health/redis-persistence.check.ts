import { Redis } from 'ioredis';

/**
 * Reads the server's persistence and eviction settings. Returns a one-line warning unless the
 * append-only file is on and the eviction policy is `noeviction`: without AOF a restart loses queued
 * jobs, and an evicting policy drops them under memory pressure (the outbox sweep then re-relays them,
 * minutes later).
 */
export async function checkRedisPersistence(redis: Redis): Promise<string | undefined> {
  let appendonly: string | undefined;
  let policy: string | undefined;
  try {
    const [aof, eviction] = await Promise.all([
      redis.config('GET', 'appendonly') as Promise<string[]>,
      redis.config('GET', 'maxmemory-policy') as Promise<string[]>,
    ]);
    appendonly = aof[1];
    policy = eviction[1];
  } catch (error) {
    // Managed services often rename or disable CONFIG: say we could not tell, once.
    return `cannot read Redis persistence settings (${(error as Error).message}): make sure the server runs with appendonly yes and maxmemory-policy noeviction`;
  }
  const problems: string[] = [];
  if (appendonly !== 'yes') problems.push(`appendonly is "${appendonly ?? 'unknown'}" (queued audit jobs are lost on a restart)`);
  if (policy !== 'noeviction') problems.push(`maxmemory-policy is "${policy ?? 'unknown'}" (queued jobs can be evicted)`);
  return problems.length === 0 ? undefined : `Redis is not production-safe: ${problems.join('; ')}; production needs appendonly yes and maxmemory-policy noeviction`;
}
