import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

import { AuditEventInput, recordAuditEvents, verifyAuditChain } from '@consentry/audit';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { workerTestConfig } from '../support/worker-test-config.js';

const WAIT = { timeout: 20_000, interval: 50 };

/**
 * A TCP hop in front of the real Redis that the test can cut and restore, so the worker meets an
 * outage exactly as it would in production (connections reset, then refused, then accepted again).
 */
class RedisLink {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 6379), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function loginEvent(n: number): AuditEventInput {
  return { type: 'psu.login.failed', actor: { type: 'system', id: 'auth-server' }, data: { attempt: n } };
}

describe('audit pipeline through a Redis outage', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let link: RedisLink;
  let worker: RunningWorker;

  async function counts(): Promise<{ pending: number; chained: number }> {
    const [row] = await db.dataSource.query(
      `SELECT (SELECT count(*)::int FROM audit_outbox WHERE relayed_at IS NULL) AS pending,
              (SELECT count(*)::int FROM audit_log) AS chained`,
    );
    return row;
  }

  async function record(n: number): Promise<void> {
    await db.dataSource.transaction((manager) => recordAuditEvents(manager, [loginEvent(n)]));
  }

  beforeAll(async () => {
    db = await createTestDatabase('audit_redis_outage');
    redis = createTestRedis('audit-redis-outage');
    link = new RedisLink(new URL(redis.url));
    await link.up();
    worker = await startWorker(
      workerTestConfig(db, redis, {
        REDIS_URL: `redis://127.0.0.1:${link.port}`,
        LOG_LEVEL: 'silent',
      }),
    );
  });

  afterAll(async () => {
    await worker?.close();
    await link?.down();
    await db?.drop();
    await redis?.cleanup();
  });

  it('keeps events pending while Redis is down and chains them once it is back', async () => {
    await record(1);
    await vi.waitFor(async () => expect(await counts()).toEqual({ pending: 0, chained: 1 }), WAIT);

    await link.down();
    for (let n = 2; n <= 6; n += 1) await record(n);

    await vi.waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${worker.port}/health`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'degraded', database: 'up', redis: 'down', outboxPending: 5 });
    }, WAIT);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(Number(/^consentry_audit_relay_errors_total (\d+)$/m.exec(metrics)![1])).toBeGreaterThan(0);
    expect(await counts()).toEqual({ pending: 5, chained: 1 });

    await link.up();
    await vi.waitFor(async () => expect(await counts()).toEqual({ pending: 0, chained: 6 }), WAIT);
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: 6 });
    const health = await fetch(`http://127.0.0.1:${worker.port}/health`);
    expect(health.status).toBe(200);
  });

  it('shuts down promptly while Redis is down', async () => {
    await link.down();
    await record(7);
    const started = performance.now();
    await worker.close();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await counts()).toEqual({ pending: 1, chained: 6 });
  });
});
