// Audit pipeline throughput and lag: Consentry's outbox -> relay -> BullMQ -> chain writer -> audit_log,
// against a bare BullMQ add-and-process of the same payloads into a bare hash-chain table, in one run.
//   npx nx run-many -t build && npx node bench/audit-pipeline/run.js
// Loopback only and bounded (a few minutes; each wait gives up after 2 min): its own database on the PostgreSQL at
// TEST_DATABASE_SERVER_URL (default the local one, dropped at the end) and its own redis-server on a
// free port (AOF on, appendfsync everysec, noeviction). The worker runs as a child process from its
// build, as in production. Not run by CI.
//
// Phases (EVENTS_PER_TX events per producer transaction, as a batch of audited reads would write):
//   1. drain: DRAIN_EVENTS events committed to the outbox while the worker is stopped, then the time
//      the worker takes to chain them all (capacity);
//   2. sustained: RATE events/s offered open-loop for SECONDS s while the worker runs; lag of each event
//      = recorded_at (chain writer's transaction) - occurredAt (set when the change was recorded);
//   3. baseline: the same number of the same payloads added to a bare queue (addBulk, one job per batch)
//      and processed into a bare chain table (hash + unnest INSERT, one transaction per batch).
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildAuditEvent, linkAuditEntries, recordAuditEvents, verifyAuditChain } from '@consentry/audit';
import { createTestDatabase, findFreePort, startPrivateRedis } from '@consentry/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { percentile, startWorkerProcess, waitFor } from '../support/worker-process.js';

const DRAIN_EVENTS = Number(process.env.DRAIN_EVENTS ?? 100_000);
const RATE = Number(process.env.RATE ?? 10_000);
const SECONDS = Number(process.env.SECONDS ?? 20);
const EVENTS_PER_TX = Number(process.env.EVENTS_PER_TX ?? 20);
const BATCH_SIZE = Number(process.env.AUDIT_BATCH_SIZE ?? 1000);
const PRODUCERS = 8;


function payload(n) {
  return {
    type: 'data.accessed',
    actor: { type: 'tpp', id: 'tpp-bench' },
    clientId: 'tpp-bench',
    psuId: '6f1c2d3e-0000-4000-8000-00000000beef',
    consentId: `aac-bench-${n % 5000}`,
    interactionId: `c0ffee00-0000-4000-8000-${String(n).padStart(12, '0')}`,
    data: { resource: 'transactions', accountId: `acc-${n % 997}`, page: n % 7, status: 200 },
  };
}

async function count(dataSource, sql) {
  const [row] = await dataSource.query(sql);
  return row.n;
}

/** Producers: `total` events in transactions of EVENTS_PER_TX, at most `rate` events/s (open loop). */
async function produce(dataSource, total, rate, offset) {
  let next = 0;
  const started = performance.now();
  async function producer() {
    for (;;) {
      const start = next;
      if (start >= total) return;
      next += EVENTS_PER_TX;
      if (rate > 0) {
        const due = started + (start / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const size = Math.min(EVENTS_PER_TX, total - start);
      await dataSource.transaction((manager) =>
        recordAuditEvents(manager, Array.from({ length: size }, (_, k) => payload(offset + start + k))),
      );
    }
  }
  await Promise.all(Array.from({ length: PRODUCERS }, producer));
  return (performance.now() - started) / 1000;
}

async function pipelineBench(db, redis, dataDir) {
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: 'bench',
    WORKER_PORT: String(await findFreePort()),
    CONSENTRY_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    AUDIT_BATCH_SIZE: String(BATCH_SIZE),
    AUDIT_RELAY_INTERVAL_MS: '10',
    AUDIT_CHECKPOINT_INTERVAL_MS: '1000',
    CONSENT_EXPIRY_INTERVAL_MS: '3600000',
  };

  // 1. Drain a backlog.
  await produce(db.dataSource, DRAIN_EVENTS, 0, 0);
  const drainStarted = performance.now();
  const worker = startWorkerProcess(env);
  await worker.ready;
  await waitFor(async () => (await count(db.dataSource, 'SELECT count(*)::int AS n FROM audit_log')) >= DRAIN_EVENTS, 120_000, 'the drain');
  const drainSeconds = (performance.now() - drainStarted) / 1000;

  // 2. Sustained load with the worker running.
  const sustainedTotal = RATE * SECONDS;
  const [{ n: before }] = await db.dataSource.query('SELECT coalesce(max(seq), 0)::int AS n FROM audit_log');
  const offeredSeconds = await produce(db.dataSource, sustainedTotal, RATE, DRAIN_EVENTS);
  await waitFor(
    async () => (await count(db.dataSource, 'SELECT count(*)::int AS n FROM audit_log')) >= DRAIN_EVENTS + sustainedTotal,
    120_000,
    'the sustained phase to be chained',
  );
  const lags = (
    await db.dataSource.query(
      `SELECT extract(epoch FROM recorded_at - occurred_at) * 1000 AS ms FROM audit_log WHERE seq > $1`,
      [before],
    )
  )
    .map((row) => Number(row.ms))
    .sort((a, b) => a - b);
  const [{ span }] = await db.dataSource.query(
    `SELECT extract(epoch FROM max(recorded_at) - min(occurred_at)) AS span FROM audit_log WHERE seq > $1`,
    [before],
  );
  await worker.stop();

  const verifyStarted = performance.now();
  const verification = await verifyAuditChain(db.dataSource, { batchSize: 10_000 });
  const verifySeconds = (performance.now() - verifyStarted) / 1000;
  const [stats] = await db.dataSource.query(
    `SELECT count(*)::int AS entries, count(DISTINCT event_id)::int AS distinct_events,
            (SELECT count(*)::int FROM audit_outbox) AS outbox_left FROM audit_log`,
  );
  return {
    drain: { events: DRAIN_EVENTS, seconds: drainSeconds, perSecond: DRAIN_EVENTS / drainSeconds },
    sustained: {
      offeredPerSecond: RATE,
      offeredSeconds,
      events: sustainedTotal,
      chainedPerSecond: sustainedTotal / Number(span),
      lagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.at(-1) },
    },
    verification: { ...verification, seconds: verifySeconds },
    lost: DRAIN_EVENTS + sustainedTotal - stats.distinct_events,
    duplicates: stats.entries - stats.distinct_events,
    outboxLeft: stats.outbox_left,
  };
}

async function baselineBench(db, redis, total) {
  await db.dataSource.query(`
    CREATE TABLE bench_chain (seq bigint PRIMARY KEY, event_id uuid NOT NULL UNIQUE, event jsonb NOT NULL,
                              prev_hash text NOT NULL, hash text NOT NULL)`);
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('bench-baseline', { connection, prefix: 'baseline' });
  let head = null;
  let chained = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const workerConnection = connection.duplicate();
  const worker = new Worker(
    'bench-baseline',
    async (job) => {
      const entries = linkAuditEntries(head, job.data.events);
      await db.dataSource.query(
        `INSERT INTO bench_chain (seq, event_id, event, prev_hash, hash)
         SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::jsonb[], $4::text[], $5::text[])`,
        [
          entries.map((e) => e.seq.toString()),
          entries.map((e) => e.eventId),
          entries.map((e) => JSON.stringify(e.event)),
          entries.map((e) => e.prevHash),
          entries.map((e) => e.hash),
        ],
      );
      const last = entries.at(-1);
      head = { seq: last.seq, hash: last.hash };
      chained += entries.length;
      if (chained >= total) done();
    },
    { connection: workerConnection, prefix: 'baseline', concurrency: 1 },
  );
  await worker.waitUntilReady();
  const started = performance.now();
  const jobs = [];
  for (let i = 0; i < total; i += BATCH_SIZE) {
    const events = Array.from({ length: Math.min(BATCH_SIZE, total - i) }, (_, k) => buildAuditEvent(payload(i + k)));
    jobs.push({ name: 'batch', data: { events }, opts: { removeOnComplete: true } });
    if (jobs.length === 20) await queue.addBulk(jobs.splice(0));
  }
  if (jobs.length > 0) await queue.addBulk(jobs);
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await queue.close();
  workerConnection.disconnect();
  connection.disconnect();
  return { events: total, seconds, perSecond: total / seconds };
}

const dataDir = await mkdtemp(join(tmpdir(), 'consentry-bench-audit-'));
const redis = await startPrivateRedis({ appendFsync: 'everysec' });
const db = await createTestDatabase('bench_audit_pipeline');
db.dataSource.driver.master.options.max = PRODUCERS + 2;
try {
  console.log(
    `audit pipeline bench: drain ${DRAIN_EVENTS} events, then ${RATE}/s for ${SECONDS} s; ${EVENTS_PER_TX} events per producer transaction, ` +
      `AUDIT_BATCH_SIZE ${BATCH_SIZE}`,
  );
  // The machine may be shared: the 1-minute load average before and after says how far to trust a run.
  const loadBefore = loadavg()[0];
  const ours = await pipelineBench(db, redis, dataDir);
  const baseline = await baselineBench(db, redis, DRAIN_EVENTS);
  const load = { before: loadBefore, after: loadavg()[0] };
  const report = { ours, baseline, ratio: ours.drain.perSecond / baseline.perSecond, load };
  console.log(JSON.stringify(report, null, 2));
  const targetMet = ours.sustained.chainedPerSecond >= 10_000 * 0.98 && ours.sustained.lagMs.p99 <= 2_000 && ours.lost === 0 && ours.duplicates === 0 && ours.verification.ok;
  console.log(
    `\nconsentry: drain ${Math.round(ours.drain.perSecond)} events/s; sustained ${Math.round(ours.sustained.chainedPerSecond)} events/s ` +
      `(offered ${RATE}/s), lag p50 ${Math.round(ours.sustained.lagMs.p50)} ms, p99 ${Math.round(ours.sustained.lagMs.p99)} ms, ` +
      `max ${Math.round(ours.sustained.lagMs.max)} ms; lost ${ours.lost}, duplicates ${ours.duplicates}; chain ${ours.verification.ok ? 'verified' : 'BROKEN'} ` +
      `(${ours.verification.entries} entries in ${ours.verification.seconds.toFixed(1)} s)`,
  );
  console.log(`bare BullMQ -> hash chain -> PostgreSQL: ${Math.round(baseline.perSecond)} events/s (ratio ${report.ratio.toFixed(2)})`);
  console.log(`load average (1 min): ${load.before.toFixed(2)} before, ${load.after.toFixed(2)} after`);
  console.log(`target (>= 10,000/s sustained, p99 <= 2 s, nothing lost): ${targetMet ? 'met' : 'MISSED'}`);
  process.exitCode = targetMet ? 0 : 1;
} finally {
  await db.drop();
  await redis.destroy();
  await rm(dataDir, { recursive: true, force: true });
}
