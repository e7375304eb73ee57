// Consent expiry sweep at scale: 1,000,000 consents of which 100,000 are due; the whole sweep (statuses,
// grants and tokens deleted, one consent.expired event per consent written to the audit outbox in the
// same transaction as its batch). Target: under 2 s.
//   npx nx run-many -t build && npx node bench/consent-expiry/run.js
// Loopback only, bounded: its own database on TEST_DATABASE_SERVER_URL (default the local PostgreSQL),
// dropped at the end. Not run by CI. CONSENTS, DUE and BATCH_SIZE override the sizes, CONCURRENCY the
// connections the sweep runs batches on (default expireConsents' own).
import { expireConsents } from '@consentry/consents';
import { createTestDatabase } from '@consentry/testing';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';

const CONSENTS = Number(process.env.CONSENTS ?? 1_000_000);
const DUE = Number(process.env.DUE ?? 100_000);
const BATCH_SIZE = Number(process.env.BATCH_SIZE ?? 50_000);
const CONCURRENCY = process.env.CONCURRENCY === undefined ? undefined : Number(process.env.CONCURRENCY);
const TARGET_SECONDS = 2;

// CPU seconds spent so far by each backend of the bench's database, read from /proc: the server runs on
// this machine (loopback). Unlike wall time it hardly moves with the load of whatever else runs here.
async function backendCpu(client, database) {
  const rows = (await client.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`, [database])).rows;
  const cpu = new Map();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / 100); // utime + stime, in USER_HZ ticks
    } catch {
      return null; // not on this machine, or not readable
    }
  }
  return cpu;
}
const cpuSince = (before, after) =>
  before && after ? [...after].reduce((sum, [pid, seconds]) => sum + seconds - (before.get(pid) ?? 0), 0) : null;
const cpuText = (seconds) => (seconds === null ? '' : `, PostgreSQL CPU ${seconds.toFixed(2)} s`);

const db = await createTestDatabase('bench_consent_expiry');
// Seeding a million rows takes longer than the app's 15 s statement timeout on a busy machine.
const seeder = new pg.Client({ connectionString: db.url, options: '-c statement_timeout=0' });
await seeder.connect();
const q = async (sql, params) => (await seeder.query(sql, params)).rows;
try {
  const seedStarted = performance.now();
  await q(`INSERT INTO tpp (client_id, name, roles, client_metadata)
           SELECT 'tpp-' || n, 'TPP ' || n, '{AISP}', '{}' FROM generate_series(1, 50) n`);
  // Consent n is due when n <= DUE: past its ExpirationDateTime. A fifth of the rest expire later; the
  // others have none. Every due consent and every tenth live one has a grant with two tokens.
  await q(
    `INSERT INTO account_access_consent (consent_id, client_id, status, permissions, expiration_date_time,
       creation_date_time, status_update_date_time, grant_id, authorised_at)
     SELECT 'aac-' || n, 'tpp-' || (n % 50 + 1), 'AUTH', '{ReadAccountsBasic,ReadBalances}',
            CASE WHEN n <= $1 THEN now() - interval '1 minute' * (1 + n % 600)
                 WHEN n % 5 = 0 THEN now() + interval '1 day' * (1 + n % 300) END,
            now() - interval '30 days', now() - interval '30 days',
            CASE WHEN n <= $1 OR n % 10 = 0 THEN 'grant-' || n END, now() - interval '30 days'
     FROM generate_series(1, $2) n`,
    [DUE, CONSENTS],
  );
  await q(
    `INSERT INTO oidc_model (model, id, payload, grant_id, expires_at)
     SELECT m.model, CASE WHEN m.model = 'Grant' THEN 'grant-' || n ELSE m.model || '-' || n END, '{}',
            CASE WHEN m.model = 'Grant' THEN NULL ELSE 'grant-' || n END, now() + interval '1 day'
     FROM generate_series(1, $2) n, (VALUES ('Grant'), ('AccessToken'), ('RefreshToken')) AS m(model)
     WHERE n <= $1 OR n % 10 = 0`,
    [DUE, CONSENTS],
  );
  await q(`VACUUM ANALYZE account_access_consent`);
  await q(`VACUUM ANALYZE oidc_model`);
  await q(`VACUUM ANALYZE audit_outbox`);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const [sizes] = await q(
    `SELECT (SELECT count(*)::int FROM account_access_consent) AS consents, (SELECT count(*)::int FROM oidc_model) AS oidc_rows`,
  );
  console.log(`seeded ${sizes.consents} consents (${DUE} due) and ${sizes.oidc_rows} grant/token rows in ${seedSeconds.toFixed(1)} s`);

  // Calibration on this machine at this moment: the bare status UPDATE alone, rolled back.
  await q('BEGIN');
  const bareCpu = await backendCpu(seeder, db.name);
  const bareStarted = performance.now();
  const [{ count: bareRows }] = await q(
    `WITH u AS (UPDATE account_access_consent SET status = 'EXPD', status_update_date_time = now()
                WHERE status IN ('AWAU', 'AUTH') AND expiration_date_time IS NOT NULL AND expiration_date_time <= now() RETURNING 1)
     SELECT count(*)::int FROM u`,
  );
  const bareSeconds = (performance.now() - bareStarted) / 1000;
  const bareCpuSeconds = cpuSince(bareCpu, await backendCpu(seeder, db.name));
  await q('ROLLBACK');
  console.log(
    `calibration: a bare set-based status UPDATE of the ${bareRows} due consents (no grants, tokens or events) takes ` +
      `${bareSeconds.toFixed(2)} s here now${cpuText(bareCpuSeconds)} (load average ${os.loadavg()[0].toFixed(1)})`,
  );

  const sweepCpu = await backendCpu(seeder, db.name);
  const started = performance.now();
  const result = await expireConsents(db.dataSource, { awaitingMaxAgeSeconds: 3600, batchSize: BATCH_SIZE, concurrency: CONCURRENCY });
  const seconds = (performance.now() - started) / 1000;
  const sweepCpuSeconds = cpuSince(sweepCpu, await backendCpu(seeder, db.name));

  const [check] = await q(
    `SELECT (SELECT count(*)::int FROM account_access_consent WHERE status = 'EXPD') AS expired,
            (SELECT count(*)::int FROM account_access_consent WHERE status = 'AUTH') AS live,
            (SELECT count(*)::int FROM oidc_model WHERE grant_id IN (SELECT grant_id FROM account_access_consent WHERE status = 'EXPD')
               OR (model = 'Grant' AND id IN (SELECT grant_id FROM account_access_consent WHERE status = 'EXPD'))) AS tokens_left,
            (SELECT count(*)::int FROM audit_outbox WHERE event->>'type' = 'consent.expired') AS events,
            (SELECT count(DISTINCT event->>'consentId')::int FROM audit_outbox) AS distinct_consents`,
  );
  console.log(JSON.stringify({ result, seconds, sweepCpuSeconds, bareUpdateSeconds: bareSeconds, bareCpuSeconds, check }, null, 2));
  const ok =
    check.expired === DUE && check.live === CONSENTS - DUE && check.tokens_left === 0 && check.events === DUE &&
    check.distinct_consents === DUE && result.revokedTokens === DUE * 3;
  console.log(
    `\nexpiry sweep: ${result.pastExpiration} of ${CONSENTS} consents expired, ${result.revokedTokens} grant/token rows deleted, ` +
      `${result.auditEvents} audit events written, in ${seconds.toFixed(2)} s${cpuText(sweepCpuSeconds)} ` +
      `(${result.batches} transactions of at most ${BATCH_SIZE}); ` +
      `checks ${ok ? 'passed' : 'FAILED'}; target < ${TARGET_SECONDS} s ${seconds < TARGET_SECONDS ? 'met' : 'MISSED'}`,
  );
  process.exitCode = ok && seconds < TARGET_SECONDS ? 0 : 1;
} finally {
  await seeder.end();
  await db.drop();
}
