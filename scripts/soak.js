// `npm run soak`: a bounded loopback soak of the whole platform that reports each app's memory growth.
// Not run by CI. Starts api, auth-server and worker from their builds on a database of its own (on
// TEST_DATABASE_SERVER_URL, default the local PostgreSQL; dropped at the end) and a private
// redis-server, seeds the sandbox, then keeps TPP clients busy for SOAK_MINUTES (default 30):
// client-credentials tokens (auth server), consent creation and reads (API; each writes an audit event
// the worker chains). RSS of each app is sampled every SAMPLE_SECONDS; growth compares the median of
// the first tenth after warm-up with the median of the last tenth. Exit 1 when an app grew > 10 %.
//   npm run build && SOAK_MINUTES=2 npx node scripts/soak.js
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TppClient } from './journey.js';
import { ensureSandbox, freePort, platformEnv, startApps } from './platform.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const SAMPLE_SECONDS = Number(process.env.SAMPLE_SECONDS ?? 5);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 4);
const MAX_GROWTH = 0.1;
if (!(MINUTES > 0 && MINUTES <= 240)) throw new Error('SOAK_MINUTES must be between 0 and 240');

const { createTestDatabase, startPrivateRedis } = await import('@consentry/testing');
const { verifyAuditChain } = await import('@consentry/audit');

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)[1]) / 1024;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

const dataDir = await mkdtemp(join(tmpdir(), 'consentry-soak-'));
const redis = await startPrivateRedis({ appendFsync: 'everysec' });
const db = await createTestDatabase('soak');
let apps;
try {
  const env = platformEnv({
    ...process.env,
    CONSENTRY_MODE: 'sandbox',
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: 'soak',
    CONSENTRY_DATA_DIR: dataDir,
    API_PORT: String(await freePort()),
    AUTH_SERVER_PORT: String(await freePort()),
    WORKER_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  });
  env.API_URL = `http://localhost:${env.API_PORT}`;
  env.AUTH_SERVER_URL = `http://localhost:${env.AUTH_SERVER_PORT}`;
  await ensureSandbox(env);
  apps = await startApps(env, { onOutput: () => undefined });
  const names = ['api', 'auth-server', 'worker'];
  const tppCredentials = JSON.parse(await readFile(join(dataDir, 'sandbox', 'tpp.json'), 'utf8'));

  const deadline = Date.now() + MINUTES * 60_000;
  const warmupEnds = Date.now() + Math.max(30_000, MINUTES * 6_000);
  const samples = names.map(() => []);
  const counts = { tokens: 0, consentsCreated: 0, consentsRead: 0, errors: 0 };
  let lastError;

  async function client() {
    const tpp = await TppClient.create({ issuer: env.AUTH_SERVER_URL, apiUrl: env.API_URL, tpp: tppCredentials });
    while (Date.now() < deadline) {
      try {
        const cc = await tpp.clientCredentialsToken();
        counts.tokens += 1;
        for (let i = 0; i < 5 && Date.now() < deadline; i += 1) {
          const created = await tpp.createConsent(cc.access_token, ['ReadAccountsBasic', 'ReadBalances'], new Date(Date.now() + 86_400_000).toISOString());
          if (created.status !== 201) throw new Error(`POST consent answered ${created.status}`);
          counts.consentsCreated += 1;
          const read = await tpp.api(cc.access_token, 'GET', `/open-banking/v4.0/aisp/account-access-consents/${created.body.Data.ConsentId}`);
          if (read.status !== 200) throw new Error(`GET consent answered ${read.status}`);
          counts.consentsRead += 1;
        }
      } catch (error) {
        counts.errors += 1;
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  const sampler = setInterval(() => {
    if (Date.now() < warmupEnds) return;
    apps.children.forEach((child, i) => samples[i].push(rssMiB(child.pid)));
  }, SAMPLE_SECONDS * 1000);
  console.log(`soak: ${MINUTES} min, ${CLIENTS} TPP clients, RSS sampled every ${SAMPLE_SECONDS} s after ${Math.round((warmupEnds - Date.now()) / 1000)} s of warm-up`);
  await Promise.all(Array.from({ length: CLIENTS }, client));
  clearInterval(sampler);

  // The audit trail kept up: every consent creation reached the chained log.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const verification = await verifyAuditChain(db.dataSource, { batchSize: 10_000 });
  console.log(`load: ${JSON.stringify(counts)}${lastError ? `; last error: ${lastError.message}` : ''}`);
  console.log(`audit chain after the soak: ${verification.ok ? `intact, ${verification.entries} entries` : `BROKEN at ${verification.firstBrokenSeq}`}`);
  let failed = !verification.ok;
  names.forEach((name, i) => {
    const tenth = Math.max(1, Math.floor(samples[i].length / 10));
    const start = median(samples[i].slice(0, tenth));
    const end = median(samples[i].slice(-tenth));
    const growth = (end - start) / start;
    if (!(growth <= MAX_GROWTH)) failed = true;
    console.log(
      `${name.padEnd(12)} RSS ${start.toFixed(1)} MiB -> ${end.toFixed(1)} MiB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %, ` +
        `${samples[i].length} samples, max ${Math.max(...samples[i]).toFixed(1)} MiB) ${growth <= MAX_GROWTH ? 'ok' : 'GREW > 10 %'}`,
    );
  });
  process.exitCode = failed ? 1 : 0;
} finally {
  if (apps) await apps.stop();
  await db.drop();
  await redis.destroy();
  await rm(dataDir, { recursive: true, force: true });
}
