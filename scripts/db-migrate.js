// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded PostgreSQL of
// `npm start` (started for the purpose) when DATABASE_URL is unset. With DATABASE_APP_ROLE, DATABASE_URL is
// the tables' owner and the named role, which the apps connect as, is granted the application's privileges
// afterwards (docs/deployment.md: no schema changes, the audit trail append-only); with DATABASE_WORKER_ROLE
// as well, the worker connects as a role of its own, the only one that relays the audit outbox.
import { migrate, startEmbeddedPostgres } from './platform.js';

let stop = async () => undefined;
try {
  let url = process.env.DATABASE_URL;
  if (!url) {
    const pg = await startEmbeddedPostgres(process.env.CONSENTRY_DATA_DIR ?? '.data');
    stop = pg.stop;
    url = pg.url;
  }
  const appRole = process.env.DATABASE_APP_ROLE || undefined;
  const workerRole = process.env.DATABASE_WORKER_ROLE || undefined;
  const applied = await migrate(url, { appRole, workerRole });
  console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  if (appRole) console.log(`granted the application role ${appRole}`);
  if (workerRole) console.log(`granted the worker's role ${workerRole}`);
} catch (error) {
  console.error(`db:migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await stop();
}
