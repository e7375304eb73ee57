import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { recordAuditEvent } from '@consentry/audit';
import { closeSandboxLedgerAccount } from '@consentry/banking';
import type { WorkerConfig } from '@consentry/config';
import { recordLinkedAccountChange } from '@consentry/consents';
import { BankSigningKeys } from '@consentry/message-signing';
import { createTestDatabase, createTestRedis, expectObSchema, TestDatabase, TestRedis } from '@consentry/testing';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { workerTestConfig } from '../support/worker-test-config.js';

const WAIT = { timeout: 20_000, interval: 50 };
const RESOURCE_UPDATE = 'urn:uk:org:openbanking:events:resource-update';
const LINKED_ACCOUNT_UPDATE = 'urn:uk:org:openbanking:events:account-access-consent-linked-account-update';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A TPP's callback server: answers each request to a path with the next scripted status (then 202). */
class CallbackServer {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, Array<{ status: number; location?: string }>>();
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      this.received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const next = this.scripts.get(path)?.shift() ?? { status: 202 };
      response.writeHead(next.status, next.location ? { location: next.location } : {});
      response.end();
    });
  });

  static async start(): Promise<CallbackServer> {
    const callbacks = new CallbackServer();
    // No host: both IPv4 and IPv6 loopback reach it, whichever `localhost` resolves to first.
    await new Promise<void>((resolve) => callbacks.server.listen(0, resolve));
    return callbacks;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  script(path: string, ...answers: Array<{ status: number; location?: string }>): void {
    this.scripts.set(path, answers);
  }

  to(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('event delivery to TPP callbacks', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let dataDir: string;
  let config: WorkerConfig;
  let worker: RunningWorker;
  let callbacks: CallbackServer;
  let elsewhere: CallbackServer;
  const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase('event_delivery');
    redis = createTestRedis('event-delivery');
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-event-delivery-'));
    callbacks = await CallbackServer.start();
    elsewhere = await CallbackServer.start();
    for (const tpp of ['tpp-a', 'tpp-b', 'tpp-c', 'tpp-d', 'tpp-e', 'tpp-f', 'tpp-g', 'tpp-h', 'tpp-i']) {
      await q(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ($1, $1, '{PISP}', '{}')`, [tpp]);
      await q(`INSERT INTO event_subscription (event_subscription_id, client_id, callback_url, version) VALUES ($1, $2, $3, '4.0')`, [
        `evs-${tpp}`,
        tpp,
        `http://localhost:${callbacks.port}/${tpp}`,
      ]);
    }
    // An event committed two minutes ago whose delivery job was never queued (its worker died in between).
    await q(
      `INSERT INTO event_notification (jti, client_id, event_type, audit_event_id, sub, interaction_id, set_jwt, occurred_at, created_at, source_seq)
       VALUES ('00000000-0000-4000-8000-0000000000e1', 'tpp-e', $1, '00000000-0000-4000-8000-0000000000e2', 'http://localhost:3000/x', 'i-e', 'e.e.e',
               now() - interval '2 minutes', now() - interval '2 minutes', 0)`,
      [RESOURCE_UPDATE],
    );
    config = workerTestConfig(db, redis, {
      CONSENTRY_MODE: 'sandbox',
      CONSENTRY_DATA_DIR: dataDir,
      API_URL: 'http://localhost:3000',
      EVENT_PRODUCTION_INTERVAL_MS: '50',
      // Retries after 20 ms, 40 ms, 80 ms...: the schedule of production, shortened.
      EVENT_DELIVERY_BACKOFF_MS: '20',
      EVENT_DELIVERY_MAX_DELAY_MS: '200',
      LOG_LEVEL: 'silent',
    });
    worker = await startWorker(config);
  });

  afterAll(async () => {
    await worker?.close();
    await callbacks?.close();
    await elsewhere?.close();
    await db?.drop();
    await redis?.cleanup();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A payment's status change of `clientId`, as the API records it. */
  async function paymentChanged(clientId: string, paymentId: string): Promise<void> {
    await db.dataSource.transaction((manager) =>
      recordAuditEvent(manager, {
        type: 'payment.status-changed',
        actor: { type: 'system', id: 'payment-execution' },
        clientId,
        interactionId: `interaction-${paymentId}`,
        data: { paymentId, kind: 'domestic-payment', from: 'PDNG', to: 'ACSC' },
      }),
    );
  }

  async function eventOf(clientId: string): Promise<{ jti: string; delivered: boolean; attempts: number; error: string | null }> {
    const [row] = await q(
      `SELECT jti, delivered_at IS NOT NULL AS delivered, delivery_attempts AS attempts, last_delivery_error AS error FROM event_notification WHERE client_id = $1`,
      [clientId],
    );
    return row;
  }

  it('delivers a signed event to the callback, verifiable with the bank\'s published keys, and audits it', async () => {
    await paymentChanged('tpp-a', 'dp-a1');
    await vi.waitFor(async () => expect((await eventOf('tpp-a'))?.delivered).toBe(true), WAIT);
    const [request] = callbacks.to('/tpp-a/event-notifications');
    expect(request!.headers['content-type']).toBe('application/jwt');
    expect(request!.headers['x-fapi-financial-id']).toBe(config.messageSigningIssuer);
    expect(request!.headers['x-fapi-interaction-id']).toMatch(/^[0-9a-f-]{36}$/);
    // The key set the API publishes at /.well-known/message-signing-jwks.json (the same keys, loaded the same way).
    const published = (await BankSigningKeys.load(config)).publicJwks;
    expect(published.keys.every((key) => key.d === undefined)).toBe(true);
    const { payload, protectedHeader } = await jwtVerify(request!.body, createLocalJWKSet(published), { typ: 'secevent+jwt', audience: 'tpp-a' });
    expect(protectedHeader).toMatchObject({ alg: 'PS256', typ: 'secevent+jwt' });
    expectObSchema('OBEventNotification1', payload, 'event-notifications');
    expect(payload).toMatchObject({ aud: 'tpp-a', sub: 'http://localhost:3000/open-banking/v4.0/pisp/domestic-payments/dp-a1', txn: 'interaction-dp-a1' });
    expect(Object.keys(payload.events as object)).toEqual([RESOURCE_UPDATE]);
    await vi.waitFor(async () => {
      const audited = await q(`SELECT event->'data' AS data FROM audit_log WHERE event_type = 'event.delivered' AND client_id = 'tpp-a'`);
      expect(audited).toEqual([{ data: { jti: payload.jti, eventType: RESOURCE_UPDATE, via: 'callback', attempts: 1 } }]);
    }, WAIT);
  });

  it('tells the TPP of an authorised consent that its account was closed at the bank (linked-account-update), and no TPP whose consent is not authorised', async () => {
    await q(`INSERT INTO aspsp (aspsp_id, name) VALUES ('bank-f', 'Bank F')`);
    const [{ psu_id: psuId }] = await q(`INSERT INTO psu (username, display_name, password_hash, totp_secret_enc) VALUES ('psu-f', 'PSU F', 'x', 'x') RETURNING psu_id`);
    await q(
      `INSERT INTO account (account_id, aspsp_id, psu_id, currency, account_category, account_type_code, scheme_name, identification, holder_name)
       VALUES ('acc-f', 'bank-f', $1, 'GBP', 'Personal', 'CACC', 'UK.OBIE.SortCodeAccountNumber', '40400412345678', 'PSU F')`,
      [psuId],
    );
    for (const [consentId, clientId, status] of [['aac-f', 'tpp-f', 'AUTH'], ['aac-g', 'tpp-g', 'AWAU']]) {
      await q(
        `INSERT INTO account_access_consent (consent_id, client_id, psu_id, status, permissions, creation_date_time, status_update_date_time)
         VALUES ($1, $2, $3, $4, '{ReadAccountsBasic}', now(), now())`,
        [consentId, clientId, psuId, status],
      );
      await q(`INSERT INTO consent_account (consent_id, account_id) VALUES ($1, 'acc-f')`, [consentId]);
    }
    // The ledger's change and the consents' audit entries commit together.
    const told = await db.dataSource.transaction(async (manager) => {
      expect(await closeSandboxLedgerAccount(manager, 'acc-f')).toBe(true);
      return recordLinkedAccountChange(manager, { accountId: 'acc-f', change: 'closed', actor: { type: 'admin', id: 'admin-1' }, interactionId: 'interaction-acc-f' });
    });
    expect(told).toEqual(['aac-f']);
    await vi.waitFor(async () => expect((await eventOf('tpp-f'))?.delivered).toBe(true), WAIT);
    const [request] = callbacks.to('/tpp-f/event-notifications');
    const published = (await BankSigningKeys.load(config)).publicJwks;
    const { payload } = await jwtVerify(request!.body, createLocalJWKSet(published), { typ: 'secevent+jwt', audience: 'tpp-f' });
    // OBEventNotification1 names resource-update alone; the other types carry its subject (OBEventSubject1).
    const linked = (payload.events as Record<string, { subject: unknown }>)[LINKED_ACCOUNT_UPDATE]!;
    expectObSchema('OBEventSubject1', linked.subject, 'event-notifications');
    expect(payload).toMatchObject({ aud: 'tpp-f', sub: 'http://localhost:3000/open-banking/v4.0/aisp/account-access-consents/aac-f', txn: 'interaction-acc-f' });
    expect(payload.events).toEqual({
      [LINKED_ACCOUNT_UPDATE]: {
        subject: {
          subject_type: 'http://openbanking.org.uk/rid_http://openbanking.org.uk/rty',
          'http://openbanking.org.uk/rid': 'aac-f',
          'http://openbanking.org.uk/rty': 'account-access-consent',
          'http://openbanking.org.uk/rlk': [{ version: 'v4.0', link: 'http://localhost:3000/open-banking/v4.0/aisp/account-access-consents/aac-f' }],
        },
      },
    });
    // Closing it again changes nothing; the consent still awaiting authorisation was never told.
    expect(await db.dataSource.transaction((manager) => closeSandboxLedgerAccount(manager, 'acc-f'))).toBe(false);
    expect(await q(`SELECT count(*)::int AS n FROM event_notification WHERE client_id = 'tpp-g'`)).toEqual([{ n: 0 }]);
  });

  it('queues again the delivery of an event whose job was lost between its commit and its enqueue', async () => {
    await vi.waitFor(async () => expect((await eventOf('tpp-e'))?.delivered).toBe(true), WAIT);
    expect(callbacks.to('/tpp-e/event-notifications').map((r) => r.body)).toEqual(['e.e.e']);
  });

  it('retries a callback that fails twice, and delivers on the third attempt', async () => {
    callbacks.script('/tpp-b/event-notifications', { status: 500 }, { status: 503 });
    await paymentChanged('tpp-b', 'dp-b1');
    await vi.waitFor(async () => expect(await eventOf('tpp-b')).toMatchObject({ delivered: true, attempts: 3, error: null }), WAIT);
    const attempts = callbacks.to('/tpp-b/event-notifications');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(metrics).toMatch(/consentry_event_deliveries_total\{result="failed"\} [2-9]/);
    expect(metrics).toMatch(/consentry_event_delivery_lag_seconds_count [2-9]/);
  });

  it('sends nothing to a TPP that is not Active: a suspended one’s events wait for its reinstatement, a deregistered one’s are never sent', async () => {
    await q(`UPDATE tpp SET status = 'Suspended' WHERE client_id = 'tpp-h'`);
    await q(`UPDATE tpp SET status = 'Deregistered' WHERE client_id = 'tpp-i'`);
    await paymentChanged('tpp-h', 'dp-h1');
    await paymentChanged('tpp-i', 'dp-i1');
    // Until 7 December 2026 both were POSTed to their callbacks as to an Active TPP.
    await vi.waitFor(async () => expect((await eventOf('tpp-h'))?.attempts).toBeGreaterThanOrEqual(2), WAIT);
    expect(await eventOf('tpp-h')).toMatchObject({ delivered: false, error: 'the TPP is Suspended' });
    await vi.waitFor(async () => expect(await eventOf('tpp-i')).toBeDefined(), WAIT);
    expect(callbacks.to('/tpp-h/event-notifications')).toEqual([]);
    expect(callbacks.to('/tpp-i/event-notifications')).toEqual([]);

    await q(`UPDATE tpp SET status = 'Active' WHERE client_id = 'tpp-h'`);
    await vi.waitFor(async () => expect((await eventOf('tpp-h'))?.delivered).toBe(true), WAIT);
    expect(callbacks.to('/tpp-h/event-notifications')).toHaveLength(1);
    expect(await eventOf('tpp-i')).toMatchObject({ delivered: false, attempts: 0 });
    expect(callbacks.to('/tpp-i/event-notifications')).toEqual([]);
  });

  it('never follows a redirect, even one to a private address', async () => {
    callbacks.script('/tpp-c/event-notifications', ...Array.from({ length: 50 }, () => ({ status: 302, location: `http://127.0.0.1:${elsewhere.port}/stolen` })));
    await paymentChanged('tpp-c', 'dp-c1');
    await vi.waitFor(async () => expect((await eventOf('tpp-c'))?.attempts).toBeGreaterThanOrEqual(2), WAIT);
    const event = await eventOf('tpp-c');
    expect(event).toMatchObject({ delivered: false, error: 'the callback answered 302' });
    expect(elsewhere.received).toEqual([]);
  });

  it('checks the callback\'s address again at delivery: a URL now naming a private address is never connected to', async () => {
    await q(`UPDATE event_subscription SET callback_url = $1 WHERE client_id = 'tpp-d'`, [`https://127.0.0.1:${elsewhere.port}/tpp-d`]);
    await paymentChanged('tpp-d', 'dp-d1');
    await vi.waitFor(async () => expect((await eventOf('tpp-d'))?.attempts).toBeGreaterThanOrEqual(2), WAIT);
    expect(await eventOf('tpp-d')).toMatchObject({ delivered: false, error: 'the callback URL resolves to an address that is not public' });
    expect(elsewhere.received).toEqual([]);
  });

  it('drops an event neither delivered nor acknowledged within 7 days, and audits event.dropped', async () => {
    const { jti } = await eventOf('tpp-c');
    await q(`UPDATE event_notification SET created_at = now() - interval '7 days 1 minute' WHERE jti = $1`, [jti]);
    await vi.waitFor(async () => expect(await eventOf('tpp-c')).toBeUndefined(), WAIT);
    await vi.waitFor(async () => {
      const audited = await q(`SELECT event->'data' AS data FROM audit_log WHERE event_type = 'event.dropped'`);
      expect(audited).toHaveLength(1);
      expect(audited[0].data).toMatchObject({ jti, eventType: RESOURCE_UPDATE });
    }, WAIT);
    // A delivered event past its retention is removed without an audit entry of its own.
    await q(`UPDATE event_notification SET created_at = now() - interval '8 days' WHERE client_id = 'tpp-a'`);
    await vi.waitFor(async () => expect(await eventOf('tpp-a')).toBeUndefined(), WAIT);
    expect(await q(`SELECT count(*)::int AS n FROM audit_log WHERE event_type = 'event.dropped'`)).toEqual([{ n: 1 }]);
  });
});
