import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertMigrated } from '@consentry/database';

import { createTestDatabase, TestDatabase } from './test-database.js';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('migrations');
  });
  afterAll(async () => db?.drop());

  it('leaves no pending migration', async () => {
    await expect(assertMigrated(db.dataSource)).resolves.toBeUndefined();
  });

  it('makes the audit log refuse UPDATE and DELETE', async () => {
    await db.dataSource.query(
      `INSERT INTO audit_log (seq, event_id, event_type, occurred_at, recorded_at, event, prev_hash, hash)
       VALUES (1, gen_random_uuid(), 'test', now(), now(), '{}', 'genesis', 'h')`,
    );
    await expect(db.dataSource.query(`UPDATE audit_log SET hash = 'x'`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(db.dataSource.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only: DELETE refused/);
  });

  it('reverts cleanly', async () => {
    // Every migration, newest first, as a full rollback would.
    for (let i = 0; i < db.dataSource.migrations.length; i += 1) await db.dataSource.undoLastMigration();
    const tables = await db.dataSource.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migration'`);
    expect(tables[0].n).toBe(0);
  });
});
