import { StartupError } from '@consentry/config';
import type { RedisSentinels } from '@consentry/config';
import { Cluster, Redis, RedisOptions } from 'ioredis';
import { DataSource } from 'typeorm';

import { createDataSource, DatabaseOptions } from './data-source.js';
import { assertMigrated, UnmigratedSchemaError } from './migrations.js';

function describeUrl(url: string): string {
  const parsed = new URL(url);
  parsed.password = parsed.password ? '***' : '';
  return parsed.toString();
}

/**
 * Opens the app's DataSource and checks the schema is migrated. A server that does not answer or an
 * unmigrated schema becomes one readable StartupError.
 */
export async function connectDatabase(options: DatabaseOptions): Promise<DataSource> {
  const dataSource = createDataSource(options);
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new StartupError(
      `cannot reach PostgreSQL at ${describeUrl(options.url)} (${(error as Error).message}): start it, or unset DATABASE_URL and use \`npm start\` for the embedded one`,
    );
  }
  try {
    await assertMigrated(dataSource);
  } catch (error) {
    await dataSource.destroy();
    if (error instanceof UnmigratedSchemaError) throw new StartupError(error.message);
    throw error;
  }
  return dataSource;
}

/** Where the app's Redis is: one server (`redisUrl`), or the primary the sentinels name (`redisSentinels`). */
export interface RedisTarget {
  redisUrl: string;
  redisSentinels?: RedisSentinels;
  redisClusterNodes?: Array<{ host: string; port: number }>;
}

/**
 * A Redis Cluster client from its seed nodes. ioredis' Cluster speaks the same commands as a single
 * server's client (and BullMQ takes either), so the apps keep one `Redis` type: every key they use sits
 * under the prefix's hash tag, hence on one slot, so multi-key scripts and MULTI work unchanged.
 */
function clusterClient(nodes: Array<{ host: string; port: number }>, url: URL, options: RedisOptions): Redis {
  const { enableOfflineQueue, enableAutoPipelining, ...perNode } = options;
  const cluster = new Cluster(nodes, {
    lazyConnect: true,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    redisOptions: {
      maxRetriesPerRequest: null,
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...perNode,
    },
  });
  return cluster as unknown as Redis;
}

function sentinelClient(target: RedisTarget & { redisSentinels: RedisSentinels }, options: RedisOptions): Redis {
  const url = new URL(target.redisUrl);
  const db = Number(url.pathname.slice(1) || 0);
  return new Redis({
    sentinels: target.redisSentinels.sentinels,
    name: target.redisSentinels.name,
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    db,
    lazyConnect: true,
    maxRetriesPerRequest: null,
    // After a failover the old primary may come back as a replica: a write it refuses (READONLY) makes the
    // client ask the sentinels again and resend the command to the new primary.
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    ...options,
  });
}

/**
 * A Redis connection for app use: to REDIS_URL, or through Sentinel to the current primary. Checks it
 * answers within a few seconds, else a StartupError that says how to start one.
 */
export async function connectRedis(target: string | RedisTarget, options: RedisOptions = {}): Promise<Redis> {
  const resolved: RedisTarget = typeof target === 'string' ? { redisUrl: target } : target;
  const url = resolved.redisUrl;
  const redis = resolved.redisClusterNodes
    ? clusterClient(resolved.redisClusterNodes, new URL(url), options)
    : resolved.redisSentinels
      ? sentinelClient({ ...resolved, redisSentinels: resolved.redisSentinels }, options)
      : new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, ...options });
  redis.on('error', () => undefined); // reconnects on its own; failures surface on commands
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000)),
    ]);
  } catch (error) {
    redis.disconnect();
    if (resolved.redisClusterNodes) {
      const where = resolved.redisClusterNodes.map((n) => `${n.host}:${n.port}`).join(',');
      throw new StartupError(`cannot reach the Redis Cluster at ${where} (${(error as Error).message}): check REDIS_CLUSTER_NODES`);
    }
    if (resolved.redisSentinels) {
      const where = resolved.redisSentinels.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
      throw new StartupError(`cannot reach the Redis primary "${resolved.redisSentinels.name}" through the sentinels ${where} (${(error as Error).message}): check REDIS_SENTINELS and REDIS_SENTINEL_NAME`);
    }
    throw new StartupError(
      `cannot reach Redis at ${describeUrl(url)} (${(error as Error).message}): start one with \`redis-server --port ${new URL(url).port || 6379}\`, or unset REDIS_URL and use \`npm start\`, which runs one`,
    );
  }
  return redis;
}
