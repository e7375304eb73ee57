import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

import { psuAlertChannel } from '@consentry/alerts';
import { recordAuditEvents } from '@consentry/audit';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { decodeJwt } from 'jose';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { workerTestConfig } from '../support/worker-test-config.js';

const WAIT = { timeout: 30_000, interval: 50 };

/**
 * The followers of the chained audit log run as soon as entries are chained, not at their interval:
 * with both intervals at their maximum (an hour for the alert tail, a minute for event production),
 * after the ticks each makes at start, a change still reaches the PSU's live channel and the TPP's
 * callback at once.
 */
describe('audit log followers: an alert and an event as soon as their entry is chained', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let worker: RunningWorker;
  let subscriber: Redis;
  let callback: Server;
  const published: Array<{ psuId: string; kind: string }> = [];
  const delivered: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('audit_log_followers');
    redis = createTestRedis('audit-log-followers');
    callback = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        delivered.push(String(decodeJwt(Buffer.concat(chunks).toString('utf8')).txn));
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => callback.listen(0, resolve));
    await db.dataSource.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('tpp-pay', 'Pay App', '{PISP}', '{}')`);
    await db.dataSource.query(`INSERT INTO event_subscription (event_subscription_id, client_id, callback_url, version) VALUES ('evs-1', 'tpp-pay', $1, '4.0')`, [
      `http://localhost:${(callback.address() as AddressInfo).port}/tpp-pay`,
    ]);
    subscriber = new Redis(redis.url);
    await subscriber.subscribe(psuAlertChannel(redis.prefix));
    subscriber.on('message', (_channel, message: string) => published.push(JSON.parse(message) as { psuId: string; kind: string }));
    worker = await startWorker(
      workerTestConfig(db, redis, {
        CONSENTRY_MODE: 'sandbox',
        ALERT_INTERVAL_MS: '3600000',
        EVENT_PRODUCTION_INTERVAL_MS: '60000',
        ALERT_EMAIL: 'off',
      }),
    );
  });

  afterAll(async () => {
    await worker?.close();
    subscriber?.disconnect();
    await new Promise<void>((resolve) => (callback ? callback.close(() => resolve()) : resolve()));
    await db?.drop();
    await redis?.cleanup();
  });

  it('alerts the PSU and notifies the TPP of each change, one after another, without waiting for a tick', async () => {
    const [{ psu_id: psuId }]: { psu_id: string }[] = await db.dataSource.query(
      `INSERT INTO psu (username, display_name, password_hash, totp_secret_enc) VALUES ('carol', 'Carol', 'x', 'x') RETURNING psu_id`,
    );
    // Past the ticks both schedulers make as the worker starts.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const n of [1, 2, 3]) {
      await db.dataSource.transaction((manager) =>
        recordAuditEvents(manager, [
          {
            type: 'payment.status-changed',
            actor: { type: 'system', id: 'payment-execution' },
            clientId: 'tpp-pay',
            psuId,
            interactionId: `change-${n}`,
            data: { paymentId: `dp-${n}`, kind: 'domestic-payment', from: 'PDNG', to: 'RJCT', statusReason: 'AM04' },
          },
        ]),
      );
      await vi.waitFor(() => expect(delivered).toContain(`change-${n}`), WAIT);
      await vi.waitFor(() => expect(published.filter((alert) => alert.psuId === psuId)).toHaveLength(n), WAIT);
    }
    const alerts: { kind: string }[] = await db.dataSource.query(`SELECT kind FROM psu_alert WHERE psu_id = $1`, [psuId]);
    expect(alerts).toHaveLength(3);
  });
});
