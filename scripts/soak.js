// `npm run soak`: a bounded loopback soak of the whole platform that reports each app's memory growth.
// Not run by CI. Starts api, auth-server and worker from their builds on a database of its own (on
// TEST_DATABASE_SERVER_URL, default the local PostgreSQL; dropped at the end) and a private
// redis-server, seeds the sandbox, then keeps TPP clients busy for SOAK_MINUTES (default 30):
// client-credentials tokens (auth server), consent creation and reads (API; each writes an audit event
// the worker chains).
//
// How memory is measured. Each app runs with its inspector on a random loopback port (this script's
// only way in; nothing in the apps changes). After a warm-up of max(60 s, a tenth of the run):
//   - every GC_SAMPLE_SECONDS (default 20) the script asks each app for a full garbage collection
//     (inspector HeapProfiler.collectGarbage), then reads its RSS (VmRSS of /proc/<pid>/status) and its
//     V8 heapUsed (process.memoryUsage());
//   - every SAMPLE_SECONDS (default 5) it reads the RSS as it is, without collecting.
// Growth compares the median of the first tenth of samples with the median of the last tenth. An app
// fails (exit 1) when its RSS after a full GC, or its heap used after a full GC, grew by more than 10 %.
// The RSS as sampled is printed too but does not decide: under steady load it swings by ±40 % with V8's
// heap sizing (the young generation alone goes between 32 and 128 MiB on this kind of machine, and the
// old generation between its live size and up to four times that before a major GC), which is
// garbage waiting to be collected, not memory held; the collections this script asks for also shrink
// the heap, so it runs lower here than without them. Retained objects and native allocations survive a
// full GC, so a leak shows in the after-GC figures at its full size (docs/architecture.md, "Soak").
//   npm run build && SOAK_MINUTES=5 npx node scripts/soak.js
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TppClient } from './journey.js';
import { ensureSandbox, freePort, platformEnv, startApps } from './platform.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const SAMPLE_SECONDS = Number(process.env.SAMPLE_SECONDS ?? 5);
const GC_SAMPLE_SECONDS = Number(process.env.GC_SAMPLE_SECONDS ?? 20);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 4);
const MAX_GROWTH = 0.1;
if (!(MINUTES > 0 && MINUTES <= 240)) throw new Error('SOAK_MINUTES must be between 0 and 240');

const { createTestDatabase, startPrivateRedis } = await import('@consentry/testing');
const { verifyAuditChain } = await import('@consentry/audit');

const MiB = 1024 * 1024;

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)[1]) / 1024;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

/** Median of the first tenth and of the last tenth of `samples`, and the growth between them. */
function growthOf(samples) {
  const tenth = Math.max(1, Math.floor(samples.length / 10));
  const start = median(samples.slice(0, tenth));
  const end = median(samples.slice(-tenth));
  return { start, end, growth: (end - start) / start, max: Math.max(...samples), count: samples.length };
}

/** A DevTools protocol session on an app's inspector (Node's global WebSocket). */
async function inspectorSession(url) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`cannot reach the inspector at ${url}`));
  });
  let lastId = 0;
  const pending = new Map();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    const call = pending.get(message.id);
    if (!call) return;
    pending.delete(message.id);
    if (message.error) call.reject(new Error(message.error.message));
    else call.resolve(message.result);
  };
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      lastId += 1;
      pending.set(lastId, { resolve, reject });
      socket.send(JSON.stringify({ id: lastId, method, params }));
    });
  return {
    /** A full collection of everything unreachable, then the process's heapUsed in bytes. */
    async collectGarbage() {
      await send('HeapProfiler.collectGarbage');
      const { result } = await send('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true });
      return result.value;
    },
    close: () => socket.close(),
  };
}

const dataDir = await mkdtemp(join(tmpdir(), 'consentry-soak-'));
const redis = await startPrivateRedis({ appendFsync: 'everysec' });
const db = await createTestDatabase('soak');
let apps;
const sessions = [];
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
    // The soak's clients are one TPP sending as fast as they can: lift the per-TPP rate limit.
    TPP_RATE_LIMIT_PER_MINUTE: process.env.TPP_RATE_LIMIT_PER_MINUTE ?? '10000000',
    // Thousands of payments from a few accounts: the velocity rule would hold them; the soak measures payments, not monitoring.
    RISK_RULES_FILE: process.env.RISK_RULES_FILE ?? new URL('../libs/risk/rules/deny-list-only.yaml', import.meta.url).pathname,
    // Loopback only, a port of the kernel's choosing, for the apps' lifetime: how the script collects.
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim(),
  });
  env.API_URL = `http://localhost:${env.API_PORT}`;
  env.AUTH_SERVER_URL = `http://localhost:${env.AUTH_SERVER_PORT}`;
  await ensureSandbox(env);
  const names = ['api', 'auth-server', 'worker'];
  const inspectorUrls = new Map();
  apps = await startApps(env, {
    onOutput: (name, line) => {
      const listening = /^Debugger listening on (ws:\/\/\S+)/.exec(line);
      if (listening) inspectorUrls.set(name, listening[1]);
    },
  });
  for (const name of names) {
    if (!inspectorUrls.has(name)) throw new Error(`${name} did not open its inspector`);
    sessions.push(await inspectorSession(inspectorUrls.get(name)));
  }
  const tppCredentials = JSON.parse(await readFile(join(dataDir, 'sandbox', 'tpp.json'), 'utf8'));

  const deadline = Date.now() + MINUTES * 60_000;
  const warmupEnds = Date.now() + Math.max(60_000, MINUTES * 6_000);
  const samples = names.map(() => ({ rss: [], rssAfterGc: [], heapAfterGc: [] }));
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
    apps.children.forEach((child, i) => samples[i].rss.push(rssMiB(child.pid)));
  }, SAMPLE_SECONDS * 1000);
  let collecting = Promise.resolve();
  const collector = setInterval(() => {
    if (Date.now() < warmupEnds) return;
    // One app at a time, and never two rounds at once, so the collections do not pile up.
    collecting = collecting.then(async () => {
      for (const [i, session] of sessions.entries()) {
        const heapUsed = await session.collectGarbage();
        samples[i].rssAfterGc.push(rssMiB(apps.children[i].pid));
        samples[i].heapAfterGc.push(heapUsed / MiB);
      }
    });
  }, GC_SAMPLE_SECONDS * 1000);
  console.log(
    `soak: ${MINUTES} min, ${CLIENTS} TPP clients; after ${Math.round((warmupEnds - Date.now()) / 1000)} s of warm-up, ` +
      `RSS and heap used after a full GC every ${GC_SAMPLE_SECONDS} s, RSS as it is every ${SAMPLE_SECONDS} s`,
  );
  await Promise.all(Array.from({ length: CLIENTS }, client));
  clearInterval(sampler);
  clearInterval(collector);
  await collecting;

  // The audit trail kept up: every consent creation reached the chained log.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const verification = await verifyAuditChain(db.dataSource, { batchSize: 10_000 });
  console.log(`load: ${JSON.stringify(counts)}${lastError ? `; last error: ${lastError.message}` : ''}`);
  console.log(`audit chain after the soak: ${verification.ok ? `intact, ${verification.entries} entries` : `BROKEN at ${verification.firstBrokenSeq}`}`);
  let failed = !verification.ok;
  const describe = ({ start, end, growth, max, count }) =>
    `${start.toFixed(1)} -> ${end.toFixed(1)} MiB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %, ${count} samples, max ${max.toFixed(1)} MiB)`;
  names.forEach((name, i) => {
    const rssAfterGc = growthOf(samples[i].rssAfterGc);
    const heapAfterGc = growthOf(samples[i].heapAfterGc);
    const ok = rssAfterGc.growth <= MAX_GROWTH && heapAfterGc.growth <= MAX_GROWTH;
    if (!ok) failed = true;
    console.log(`${name.padEnd(12)} RSS after full GC  ${describe(rssAfterGc)} ${ok ? 'ok' : 'GREW > 10 %'}`);
    console.log(`${''.padEnd(12)} heap used after GC ${describe(heapAfterGc)}`);
    console.log(`${''.padEnd(12)} RSS as sampled     ${describe(growthOf(samples[i].rss))} (V8 heap sizing; not the criterion)`);
  });
  process.exitCode = failed ? 1 : 0;
} finally {
  for (const session of sessions) session.close();
  if (apps) await apps.stop();
  await db.drop();
  await redis.destroy();
  await rm(dataDir, { recursive: true, force: true });
}
