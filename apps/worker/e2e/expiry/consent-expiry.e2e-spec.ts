import { verifyAuditChain } from '@consentry/audit';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { CONSENT_EXPIRY_QUEUE, CONSENT_EXPIRY_SCHEDULER_ID, OIDC_PURGE_SCHEDULER_ID } from '../../src/expiry/consent-expiry.jobs.js';
import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { workerTestConfig } from '../support/worker-test-config.js';

const WAIT = { timeout: 20_000, interval: 50 };

describe('consent expiry: a job scheduler shared by two workers', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('consent_expiry');
    redis = createTestRedis('consent-expiry');
    const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
    await q(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('tpp-e', 'TPP E', '{AISP}', '{}')`);
    for (let n = 0; n < 30; n += 1) {
      // 20 due (10 past ExpirationDateTime, 10 left AWAU for two hours), 10 live.
      const status = n < 10 ? 'AUTH' : 'AWAU';
      const expires = n < 10 ? `now() - interval '1 minute'` : n < 20 ? 'NULL' : `now() + interval '1 day'`;
      const created = n < 20 ? `now() - interval '2 hours'` : 'now()';
      await q(
        `INSERT INTO account_access_consent (consent_id, client_id, status, permissions, expiration_date_time,
           creation_date_time, status_update_date_time, grant_id)
         VALUES ($1, 'tpp-e', '${status}', '{ReadAccountsBasic}', ${expires}, ${created}, now(), $2)`,
        [`aac-${n}`, n < 10 ? `grant-${n}` : null],
      );
      if (n < 10) await q(`INSERT INTO oidc_model (model, id, payload, grant_id) VALUES ('AccessToken', $1, '{}', $2)`, [`at-${n}`, `grant-${n}`]);
    }
    // oidc-provider rows: three past their expiry, one live, one without expiry (the purge keeps both).
    for (const [id, expires] of [['s-old-1', `now() - interval '1 minute'`], ['s-old-2', `now() - interval '1 day'`], ['s-old-3', `now() - interval '1 second'`], ['s-live', `now() + interval '1 hour'`]]) {
      await q(`INSERT INTO oidc_model (model, id, payload, expires_at) VALUES ('Session', $1, '{}', ${expires})`, [id]);
    }
    await q(`INSERT INTO oidc_model (model, id, payload) VALUES ('Session', 's-forever', '{}')`);
    const config = workerTestConfig(db, redis, {
      CONSENT_EXPIRY_INTERVAL_MS: '200',
      OIDC_PURGE_INTERVAL_MS: '200',
      CONSENT_AWAITING_MAX_AGE_SECONDS: '3600',
    });
    workers.push(await startWorker(config), await startWorker(config));
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await db?.drop();
    await redis?.cleanup();
  });

  it('purges expired oidc-provider rows on its schedule and keeps live ones', async () => {
    await vi.waitFor(async () => {
      const rows: Array<{ id: string }> = await db.dataSource.query(`SELECT id FROM oidc_model WHERE model = 'Session' ORDER BY id`);
      expect(rows.map((r) => r.id)).toEqual(['s-forever', 's-live']);
    }, WAIT);
  });

  it('expires due consents once, revokes their tokens and chains one consent.expired each', async () => {
    await vi.waitFor(async () => {
      const [row] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE event_type = 'consent.expired'`);
      expect(row.n).toBe(20);
    }, WAIT);
    // Several more ticks of the schedule on two workers: still exactly one event per consent.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const [counts] = await db.dataSource.query(
      `SELECT (SELECT count(*)::int FROM account_access_consent WHERE status = 'EXPD') AS expired,
              (SELECT count(*)::int FROM account_access_consent WHERE status IN ('AUTH', 'AWAU')) AS live,
              (SELECT count(*)::int FROM oidc_model WHERE model <> 'Session') AS tokens,
              (SELECT count(DISTINCT consent_id)::int FROM audit_log WHERE event_type = 'consent.expired') AS audited_consents,
              (SELECT count(*)::int FROM audit_log) AS entries`,
    );
    expect(counts).toEqual({ expired: 20, live: 10, tokens: 0, audited_consents: 20, entries: 20 });
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: 20 });
  });

  it('keeps one schedule of each job however many workers upserted them', async () => {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(CONSENT_EXPIRY_QUEUE, { connection, prefix: redis.prefix });
    try {
      const schedulers = await queue.getJobSchedulers();
      const keys = schedulers.map((scheduler) => [scheduler.key, scheduler.every]).sort();
      expect(keys).toEqual([[CONSENT_EXPIRY_SCHEDULER_ID, 200], [OIDC_PURGE_SCHEDULER_ID, 200]]);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});
