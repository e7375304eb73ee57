// `npm start`: the whole platform on one machine. Without DATABASE_URL an embedded PostgreSQL runs
// with its data under .data/; without REDIS_URL a local Redis is used or started. In sandbox mode the
// demo data is seeded on first start and the credentials printed.
import { MailDev } from 'maildev';

import { ensureRedis, ensureSandbox, migrate, platformEnv, startApps, startEmbeddedPostgres } from './platform.js';

const log = (line) => process.stdout.write(`${line}\n`);
const env = platformEnv({ ...process.env });
env.CONSENTRY_DATA_DIR ??= '.data';
// For a person at a terminal: readable lines (set LOG_FORMAT=json to see what production writes).
env.LOG_FORMAT ??= 'pretty';
const stops = [];

let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  process.exit(code);
}

async function main() {
  if (!env.DATABASE_URL) {
    const pg = await startEmbeddedPostgres(env.CONSENTRY_DATA_DIR, log);
    stops.push(pg.stop);
    env.DATABASE_URL = pg.url;
  }
  if (!env.REDIS_URL) {
    const redis = await ensureRedis(env.CONSENTRY_DATA_DIR, log);
    stops.push(redis.stop);
    env.REDIS_URL = redis.url;
  }
  const applied = await migrate(env.DATABASE_URL);
  if (applied.length > 0) log(`migrated: ${applied.join(', ')}`);

  const sandboxMode = (env.CONSENTRY_MODE ?? 'sandbox') === 'sandbox';
  // The embedded mail catcher: alert emails land in maildev (SMTP 1025, web and REST API 1080, or
  // MAILDEV_SMTP_PORT and MAILDEV_WEB_PORT), so a newcomer sees them arrive. A real SMTP_URL (or
  // ALERT_EMAIL=off) leaves it out.
  let mailCatcherUrl;
  if (sandboxMode && !env.SMTP_URL && env.ALERT_EMAIL !== 'off') {
    const smtp = Number(env.MAILDEV_SMTP_PORT ?? 1025);
    const web = Number(env.MAILDEV_WEB_PORT ?? 1080);
    const maildev = new MailDev({ smtp, web, ip: '127.0.0.1', webIp: '127.0.0.1', silent: true });
    await maildev.start().catch((error) => {
      throw new Error(`maildev, the sandbox's mail catcher, could not listen on ${smtp} and ${web} (${error instanceof Error ? error.message : String(error)}): set MAILDEV_SMTP_PORT and MAILDEV_WEB_PORT, SMTP_URL, or ALERT_EMAIL=off`);
    });
    stops.push(() => maildev.stop());
    env.SMTP_URL = `smtp://127.0.0.1:${smtp}`;
    mailCatcherUrl = `http://localhost:${web}`;
  }
  const sandbox = sandboxMode ? await ensureSandbox(env) : undefined;

  const apps = await startApps(env);
  stops.push(apps.stop);
  for (const child of apps.children) {
    child.once('exit', (code, signal) => {
      // Each app exits when the platform is being stopped: only an app that stops on its own is news.
      if (stopping) return;
      log(`an app stopped (${signal ?? `exit ${code}`}); stopping the platform`);
      void shutdown(1);
    });
  }

  log('');
  log('Consentry is running');
  log(`  API (UK Open Banking v4.0)  ${env.API_URL}/open-banking/v4.0/aisp`);
  log(`  Authorization server        ${env.AUTH_SERVER_URL}/.well-known/openid-configuration`);
  if (mailCatcherUrl) log(`  Alert emails (maildev)      ${mailCatcherUrl}`);
  log(`  API documentation (OpenAPI) ${env.API_URL}/docs`);
  log(`  Customer dashboard          ${env.API_URL}/dashboard`);
  log(`  Admin console               ${env.API_URL}/admin-console`);
  log(`  Health and metrics          /health/live, /health/ready and /metrics on each app's port (worker: http://localhost:${env.WORKER_PORT})`);
  if (sandbox) {
    const { psus, tpp, admin } = sandbox.credentials;
    log('');
    log(`Sandbox credentials (${sandbox.seeded ? 'just generated' : 'from'} ${env.CONSENTRY_DATA_DIR}/sandbox/):`);
    for (const psu of psus) {
      log(`  PSU ${psu.username.padEnd(6)} password ${psu.password}  TOTP secret ${psu.totpSecret}  (${psu.accounts.length} accounts)`);
    }
    log(`  Admin ${admin.username}  password ${admin.password}  TOTP secret ${admin.totpSecret}`);
    log(`  TPP client_id ${tpp.client_id}  private keys (client authentication, message signing ${tpp.signing?.kid ?? ''}) in ${env.CONSENTRY_DATA_DIR}/sandbox/tpp.json`);
    log('');
    log('Walk a consent journey against it: npm run demo');
  }
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));
main().catch(async (error) => {
  log(`consentry: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
