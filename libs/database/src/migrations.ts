import { DataSource } from 'typeorm';

/** Applies every pending migration; returns the names applied. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}

/** Thrown when an app meets a schema that lacks migrations it needs. */
export class UnmigratedSchemaError extends Error {
  override name = 'UnmigratedSchemaError';
}

/** Apps refuse to start against an unmigrated schema: run `npm run db:migrate` first. */
export async function assertMigrated(dataSource: DataSource): Promise<void> {
  const pending = await dataSource.showMigrations().catch(() => true);
  if (pending) {
    throw new UnmigratedSchemaError('database schema is not migrated: run `npm run db:migrate` (or `npm start`, which migrates)');
  }
}
