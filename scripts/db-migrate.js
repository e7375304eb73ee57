// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded PostgreSQL of
// `npm start` (started for the purpose) when DATABASE_URL is unset.
import { migrate, startEmbeddedPostgres } from './platform.js';

let stop = async () => undefined;
try {
  let url = process.env.DATABASE_URL;
  if (!url) {
    const pg = await startEmbeddedPostgres(process.env.CONSENTRY_DATA_DIR ?? '.data');
    stop = pg.stop;
    url = pg.url;
  }
  const applied = await migrate(url);
  console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'schema is up to date');
} catch (error) {
  console.error(`db:migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await stop();
}
