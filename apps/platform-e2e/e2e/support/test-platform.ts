import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EnvironmentKeyManagement } from '@consentry/identity';
import { SandboxCredentials, seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';

import { TppClient } from '../../../../scripts/journey.js';
import { AppPorts, ROOT, startApps, startAppsOnFreePorts } from '../../../../scripts/platform.js';

export interface TestPlatform {
  db: TestDatabase;
  redis: TestRedis;
  sandbox: SandboxCredentials;
  /** The environment the three apps run with (URLs, ports, database, Redis prefix). */
  env: Record<string, string>;
  apps: Awaited<ReturnType<typeof startApps>>;
  /** Every line the apps printed, prefixed with the app's name. */
  output: string[];
  /** The sandbox TPP, ready to call the auth server and the API. */
  tpp: TppClient;
  stop(): Promise<void>;
}

export interface TestPlatformOptions {
  secretsKey: Buffer;
  transactionsPerAccount: number;
  seed: number;
  /** Variables that override the platform's defaults (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /** How long each app may take to answer after it is spawned (startApps' default when unset). */
  healthTimeoutMs?: number;
  /**
   * Runs on the suite's seeded database before the apps start (to connect them as another role, say): the
   * variables it gives override the apps' (after `env`), and `appEnv`'s one app's (by its name: `api`,
   * `auth-server`, `worker`); `release` runs once they have stopped, before the database is dropped.
   */
  prepareDatabase?: (db: TestDatabase) => Promise<{ env: Record<string, string>; appEnv?: Record<string, Record<string, string>>; release: () => Promise<void> }>;
}

/** What every app of a suite runs with: its own database, Redis prefix, data directory and secrets key, in sandbox mode. */
export function suiteEnvironment(suite: { db: TestDatabase; redis: TestRedis; dataDir: string; secretsKey: Buffer }): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    CONSENTRY_MODE: 'sandbox',
    DATABASE_URL: suite.db.url,
    REDIS_URL: suite.redis.url,
    REDIS_PREFIX: suite.redis.prefix,
    CONSENTRY_DATA_DIR: suite.dataDir,
    SECRETS_KEY: suite.secretsKey.toString('base64'),
    LOG_LEVEL: 'warn',
    // No mail catcher runs beside a suite unless it starts one (and sets SMTP_URL and ALERT_EMAIL=on).
    ALERT_EMAIL: 'off',
    // Only the deny-list: journeys pay large amounts to new payees; a monitoring journey names its rules.
    RISK_RULES_FILE: join(ROOT, 'libs/risk/rules/deny-list-only.yaml'),
  };
}

/**
 * The whole platform for one suite: its own database (seeded sandbox) and Redis prefix, and the three
 * apps as processes from their builds on free ports, as `npm start` runs them.
 */
export async function startTestPlatform(label: string, options: TestPlatformOptions): Promise<TestPlatform> {
  const db = await createTestDatabase(label);
  const redis = createTestRedis(label);
  const dataDir = await mkdtemp(join(tmpdir(), `consentry-${label}-`));
  let release = async (): Promise<void> => undefined;
  const cleanup = async () => {
    try {
      await release();
    } finally {
      await redis.cleanup();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  };
  try {
    const sandbox = await seedSandbox(db.dataSource, {
      keys: new EnvironmentKeyManagement(options.secretsKey),
      transactionsPerAccount: options.transactionsPerAccount,
      seed: options.seed,
    });
    const prepared = options.prepareDatabase ? await options.prepareDatabase(db) : undefined;
    if (prepared) release = prepared.release;
    const output: string[] = [];
    const { env, apps } = await startAppsOnFreePorts(
      (ports: AppPorts): Record<string, string> => ({
        ...suiteEnvironment({ db, redis, dataDir, secretsKey: options.secretsKey }),
        API_PORT: String(ports.api),
        AUTH_SERVER_PORT: String(ports.authServer),
        WORKER_PORT: String(ports.worker),
        API_URL: `http://localhost:${ports.api}`,
        AUTH_SERVER_URL: `http://localhost:${ports.authServer}`,
        ...options.env,
        ...prepared?.env,
      }),
      { onOutput: (app: string, line: string) => output.push(`[${app}] ${line}`), healthTimeoutMs: options.healthTimeoutMs, appEnv: prepared?.appEnv },
    );
    try {
      const tpp = await TppClient.create({ issuer: env.AUTH_SERVER_URL!, apiUrl: env.API_URL!, tpp: sandbox.tpp });
      return {
        db,
        redis,
        sandbox,
        env,
        apps,
        output,
        tpp,
        async stop() {
          await apps.stop();
          await cleanup();
        },
      };
    } catch (error) {
      await apps.stop();
      throw error;
    }
  } catch (error) {
    await cleanup();
    throw error;
  }
}
