import type { Redis } from 'ioredis';

/** The database side of readiness: a TypeORM DataSource answers both. */
export interface ReadinessDatabase {
  query(sql: string): Promise<unknown>;
  /** true while a migration the app was built with is not applied. */
  showMigrations(): Promise<boolean>;
}

export interface Readiness {
  /** `draining` once shutdown has begun (see DrainState), whatever the dependencies say. */
  status: 'ready' | 'unavailable' | 'draining';
  database: 'up' | 'down';
  redis: 'up' | 'down';
  /** `unknown` while the database cannot be read. */
  migrations: 'applied' | 'pending' | 'unknown';
}

// A probe must answer while a dependency hangs, well before the orchestrator's own timeout.
const CHECK_TIMEOUT_MS = 2_000;

function within<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer in time')), CHECK_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Whether the app can serve: PostgreSQL answers, every migration it was built with is applied, and Redis
 * answers. Each is checked live; none of them is cached.
 */
export async function checkReadiness(database: ReadinessDatabase, redis: Pick<Redis, 'ping'>, drain?: { draining: boolean }): Promise<Readiness> {
  const [databaseUp, pending, redisUp] = await Promise.all([
    within(database.query('SELECT 1')).then(() => true, () => false),
    within(database.showMigrations()).then((value) => value, () => undefined),
    within(redis.ping()).then(() => true, () => false),
  ]);
  const migrations = !databaseUp || pending === undefined ? 'unknown' : pending ? 'pending' : 'applied';
  const ready = databaseUp && redisUp && migrations === 'applied';
  return {
    status: drain?.draining ? 'draining' : ready ? 'ready' : 'unavailable',
    database: databaseUp ? 'up' : 'down',
    redis: redisUp ? 'up' : 'down',
    migrations,
  };
}
