import { randomBytes } from 'node:crypto';

import { createDataSource, DataSource, runMigrations } from '@consentry/database';
import pg from 'pg';

/** The server tests create their databases on; CI and developers run PostgreSQL 15+ here. */
export const TEST_DATABASE_SERVER_URL =
  process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  dataSource: DataSource;
  /** Drops the database; call in afterAll. */
  drop(): Promise<void>;
}

function urlFor(server: string, database: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * A fresh database of its own for one test suite, migrated by the real migrations, so suites run in
 * parallel and in any order.
 */
export async function createTestDatabase(label = 'suite', serverUrl = TEST_DATABASE_SERVER_URL): Promise<TestDatabase> {
  const name = `consentry_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = urlFor(serverUrl, name);
  const dataSource = createDataSource({ url, poolSize: 5, applicationName: `test-${label}` });
  await dataSource.initialize();
  await runMigrations(dataSource);
  return {
    name,
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
