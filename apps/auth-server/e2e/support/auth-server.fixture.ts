import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadAuthServerConfig } from '@consentry/config';
import { CreateAccountAccessConsent, Permission } from '@consentry/consents';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { SandboxCredentials, seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis, TestDatabase } from '@consentry/testing';

import { RunningAuthServer, startAuthServer } from '../../src/auth-server.bootstrap.js';

export const API_URL = 'http://localhost:3000';

export interface AuthServerFixture {
  db: TestDatabase;
  server: RunningAuthServer;
  credentials: SandboxCredentials;
  dataDir: string;
  createConsent(clientId?: string, permissions?: Permission[]): Promise<string>;
  stop(): Promise<void>;
}

/** A migrated database of the suite's own, seeded with the sandbox, and the auth server on a free port. */
export async function startAuthServerFixture(label: string, env: Record<string, string> = {}): Promise<AuthServerFixture> {
  const db = await createTestDatabase(label);
  const redis = createTestRedis(label);
  const dataDir = await mkdtemp(join(tmpdir(), `consentry-auth-${label}-`));
  // Only what the suite sets: the developer's environment must not change a test's limits.
  const config = loadAuthServerConfig({
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    CONSENTRY_DATA_DIR: dataDir,
    AUTH_SERVER_PORT: '0',
    API_URL,
    LOG_LEVEL: 'error',
    ...env,
  });
  const credentials = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(config.secretsKey), transactionsPerAccount: 1, seed: 7 });
  const server = await startAuthServer(config);
  return {
    db,
    server,
    credentials,
    dataDir,
    async createConsent(clientId = 'sandbox-tpp', permissions = ['ReadAccountsDetail', 'ReadBalances'] as Permission[]) {
      const consent = await new CreateAccountAccessConsent(db.dataSource).execute({
        clientId,
        permissions,
        expirationDateTime: new Date(Date.now() + 90 * 24 * 3600 * 1000),
      });
      return consent.consentId;
    },
    async stop() {
      await server.close();
      await redis.cleanup();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
