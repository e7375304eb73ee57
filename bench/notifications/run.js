// TPP event notifications: the lag from a change (a payment's status change, audited in its transaction)
// to the signed event's delivery at the TPP's callback, at a sustained rate.
//   npx nx run-many -t build && npx node bench/notifications/run.js
// Loopback only and bounded (each wait gives up after 2 min): its own database on the PostgreSQL at
// TEST_DATABASE_SERVER_URL (dropped at the end), its own redis-server on a free port, the worker as a
// child process from its build (as in production), and TPPS callback servers in this process (one HTTP
// server, a path per TPP) answering 202. Not run by CI.
//
// RATE changes/s (default 500) are offered open-loop for SECONDS s (default 20), EVENTS_PER_TX per
// producer transaction, spread over TPPS TPPs. Each change's x-fapi-interaction-id comes back as the
// event's `txn`, so its lag = callback receipt - the change's commit, in this process's clock.
// The path measured: outbox -> relay -> chain (audit_log) -> event production -> delivery queue -> POST.
//
// Each change is also a PSU alert (a payment rejected for funds, AM04, of one of PSUS PSUs): the bench
// subscribes to the alerts' Redis channel as every API instance does for its dashboards' live streams,
// and measures each change from its commit to its alert's arrival there (the worker tails the chained
// audit log every ALERT_INTERVAL_MS, default 1000 as in production).
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { recordAuditEvents } from '@consentry/audit';
import { createTestDatabase, findFreePort, startPrivateRedis } from '@consentry/testing';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';

import { percentile, startWorkerProcess, waitFor } from '../support/worker-process.js';

const RATE = Number(process.env.RATE ?? 500);
const SECONDS = Number(process.env.SECONDS ?? 20);
const EVENTS_PER_TX = Number(process.env.EVENTS_PER_TX ?? 5);
const TPPS = Number(process.env.TPPS ?? 20);
const PSUS = Number(process.env.PSUS ?? 200);
const PRODUCERS = 4;

/** The TPPs' callbacks: one server, `/tpp-N/event-notifications` each; records when each event's txn arrived. */
async function startCallbacks() {
  const arrived = new Map();
  let duplicates = 0;
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const at = performance.now();
      const { txn } = decodeJwt(Buffer.concat(chunks).toString('utf8'));
      if (arrived.has(txn)) duplicates++;
      else arrived.set(txn, at);
      response.writeHead(202).end();
    });
  });
  await new Promise((resolve) => server.listen(0, resolve));
  return { arrived, duplicates: () => duplicates, port: server.address().port, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** RATE payment status changes a second, open loop; answers when each change's transaction committed. */
async function offer(dataSource, total, psuIds) {
  const committed = new Map();
  let next = 0;
  const started = performance.now();
  async function producer() {
    for (;;) {
      const start = next;
      if (start >= total) return;
      next += EVENTS_PER_TX;
      const wait = started + (start / RATE) * 1000 - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const size = Math.min(EVENTS_PER_TX, total - start);
      const changes = Array.from({ length: size }, (_, k) => {
        const n = start + k;
        return {
          type: 'payment.status-changed',
          actor: { type: 'system', id: 'payment-execution' },
          clientId: `tpp-${n % TPPS}`,
          psuId: psuIds[n % psuIds.length],
          interactionId: `bench-${n}`,
          data: { paymentId: `dp-bench-${n}`, kind: 'domestic-payment', from: 'PDNG', to: 'RJCT', statusReason: 'AM04' },
        };
      });
      await dataSource.transaction((manager) => recordAuditEvents(manager, changes));
      const at = performance.now();
      for (const change of changes) committed.set(change.interactionId, at);
    }
  }
  await Promise.all(Array.from({ length: PRODUCERS }, producer));
  return { committed, offeredSeconds: (performance.now() - started) / 1000 };
}

const dataDir = await mkdtemp(join(tmpdir(), 'consentry-bench-notifications-'));
const redis = await startPrivateRedis({ appendFsync: 'everysec' });
const db = await createTestDatabase('bench_notifications');
db.dataSource.driver.master.options.max = PRODUCERS + 2;
const callbacks = await startCallbacks();
// The alerts as a dashboard's API instance receives them: alert id -> arrival.
const alertArrivals = new Map();
const subscriber = new Redis(redis.url);
await subscriber.subscribe('bench:psu-alerts');
subscriber.on('message', (_channel, message) => alertArrivals.set(JSON.parse(message).alertId, performance.now()));
let worker;
try {
  console.log(`notifications bench: ${RATE} changes/s for ${SECONDS} s over ${TPPS} TPPs with callbacks, ${EVENTS_PER_TX} changes per transaction`);
  for (let i = 0; i < TPPS; i++) {
    await db.dataSource.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ($1, $1, '{PISP}', '{}')`, [`tpp-${i}`]);
    await db.dataSource.query(`INSERT INTO event_subscription (event_subscription_id, client_id, callback_url, version) VALUES ($1, $2, $3, '4.0')`, [
      `evs-bench-${i}`,
      `tpp-${i}`,
      `http://localhost:${callbacks.port}/tpp-${i}`,
    ]);
  }
  const psuIds = (
    await db.dataSource.query(
      `INSERT INTO psu (username, display_name, password_hash, totp_secret_enc)
       SELECT 'bench-psu-' || n, 'Bench PSU ' || n, 'x', 'x' FROM generate_series(1, $1) AS n RETURNING psu_id`,
      [PSUS],
    )
  ).map((row) => row.psu_id);
  worker = startWorkerProcess({
    CONSENTRY_MODE: 'sandbox',
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: 'bench',
    WORKER_PORT: String(await findFreePort()),
    CONSENTRY_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    AUDIT_RELAY_INTERVAL_MS: process.env.AUDIT_RELAY_INTERVAL_MS ?? '200',
    AUDIT_CHECKPOINT_INTERVAL_MS: '0',
    CONSENT_EXPIRY_INTERVAL_MS: '3600000',
    EVENT_PRODUCTION_INTERVAL_MS: process.env.EVENT_PRODUCTION_INTERVAL_MS ?? '500',
    ALERT_INTERVAL_MS: process.env.ALERT_INTERVAL_MS ?? '1000',
    ALERT_EMAIL: 'off',
  });
  await worker.ready;
  const loadBefore = loadavg()[0];
  const total = RATE * SECONDS;
  const { committed, offeredSeconds } = await offer(db.dataSource, total, psuIds);
  await waitFor(async () => callbacks.arrived.size >= total, 120_000, 'every event to reach its callback');
  await waitFor(async () => alertArrivals.size >= total, 120_000, 'every alert to reach the live channel');
  const lags = [...committed].map(([txn, at]) => callbacks.arrived.get(txn) - at).sort((a, b) => a - b);
  const alertSources = await db.dataSource.query(
    `SELECT p.alert_id, a.event->>'interactionId' AS txn FROM psu_alert p JOIN audit_log a ON a.event_id = p.source_event_id`,
  );
  const [alertStages] = await db.dataSource.query(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM p.created_at - a.recorded_at)) * 1000 AS tail_p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM p.created_at - a.recorded_at)) * 1000 AS tail_p99
       FROM psu_alert p JOIN audit_log a ON a.event_id = p.source_event_id`,
  );
  const alertLags = alertSources.map((row) => alertArrivals.get(row.alert_id) - committed.get(row.txn)).sort((a, b) => a - b);
  // Where the time goes, per stage, from the rows' own timestamps (PostgreSQL's clock).
  const [stages] = await db.dataSource.query(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.recorded_at - a.occurred_at)) * 1000 AS chain_p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM a.recorded_at - a.occurred_at)) * 1000 AS chain_p99,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.created_at - a.recorded_at)) * 1000 AS produce_p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM e.created_at - a.recorded_at)) * 1000 AS produce_p99,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.delivered_at - e.created_at)) * 1000 AS deliver_p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM e.delivered_at - e.created_at)) * 1000 AS deliver_p99
       FROM event_notification e JOIN audit_log a ON a.event_id = e.audit_event_id`,
  );
  const report = {
    stagesMs: { ...stages, ...alertStages },
    offeredPerSecond: RATE,
    offeredSeconds,
    events: total,
    delivered: callbacks.arrived.size,
    duplicates: callbacks.duplicates(),
    lagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.at(-1) },
    alerts: alertSources.length,
    alertLagMs: { p50: percentile(alertLags, 50), p99: percentile(alertLags, 99), max: alertLags.at(-1) },
    load: { before: loadBefore, after: loadavg()[0] },
  };
  console.log(JSON.stringify(report, null, 2));
  console.log(
    `\nchange -> event delivered at the callback: p50 ${Math.round(report.lagMs.p50)} ms, p99 ${Math.round(report.lagMs.p99)} ms, max ${Math.round(report.lagMs.max)} ms ` +
      `at ${RATE} events/s (offered over ${offeredSeconds.toFixed(1)} s); delivered ${report.delivered}/${total}, duplicates ${report.duplicates}`,
  );
  console.log(
    `change -> PSU alert on the dashboards' live channel: p50 ${Math.round(report.alertLagMs.p50)} ms, p99 ${Math.round(report.alertLagMs.p99)} ms, max ${Math.round(report.alertLagMs.max)} ms; ` +
      `${report.alerts} alerts for ${total} changes`,
  );
  console.log(`load average (1 min): ${report.load.before.toFixed(2)} before, ${report.load.after.toFixed(2)} after`);
} finally {
  await worker?.stop();
  subscriber.disconnect();
  await callbacks.close();
  await db.drop();
  await redis.destroy();
  await rm(dataDir, { recursive: true, force: true });
}
