import { StartupError } from '@consentry/config';
import { Redis, RedisOptions } from 'ioredis';
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

/**
 * A Redis connection for app use. Checks the server answers within a few seconds, else a StartupError
 * that says how to start one.
 */
export async function connectRedis(url: string, options: RedisOptions = {}): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, ...options });
  redis.on('error', () => undefined); // reconnects on its own; failures surface on commands
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000)),
    ]);
  } catch (error) {
    redis.disconnect();
    throw new StartupError(
      `cannot reach Redis at ${describeUrl(url)} (${(error as Error).message}): start one with \`redis-server --port ${new URL(url).port || 6379}\`, or unset REDIS_URL and use \`npm start\`, which runs one`,
    );
  }
  return redis;
}
