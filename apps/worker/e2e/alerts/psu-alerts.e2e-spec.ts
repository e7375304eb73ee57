import { createServer, Server } from 'node:net';

import { psuAlertChannel } from '@consentry/alerts';
import { recordAuditEvents } from '@consentry/audit';
import type { AuditEventInput } from '@consentry/audit';
import { createTestDatabase, createTestRedis, findFreePort, MailCatcher, startMailCatcher, TestDatabase, TestRedis } from '@consentry/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ALERT_EMAIL_QUEUE } from '../../src/alerts/psu-alerts.jobs.js';
import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { workerTestConfig } from '../support/worker-test-config.js';

const WAIT = { timeout: 30_000, interval: 50 };

function workerConfig(db: TestDatabase, redis: TestRedis, smtpUrl: string) {
  return workerTestConfig(db, redis, {
    ALERT_INTERVAL_MS: '100',
    ALERT_EMAIL_BACKOFF_MS: '100',
    SMTP_URL: smtpUrl,
  });
}

async function addPsu(db: TestDatabase, username: string, email: string | null): Promise<string> {
  const [row]: { psu_id: string }[] = await db.dataSource.query(
    `INSERT INTO psu (username, display_name, password_hash, totp_secret_enc, email) VALUES ($1, $1, 'x', 'x', $2) RETURNING psu_id`,
    [username, email],
  );
  return row!.psu_id;
}

async function record(db: TestDatabase, event: AuditEventInput): Promise<void> {
  await db.dataSource.transaction((manager) => recordAuditEvents(manager, [event]));
}

interface LogRow {
  seq: string;
  event_type: string;
  data: Record<string, unknown>;
}

async function auditOf(db: TestDatabase, psuId: string): Promise<LogRow[]> {
  return db.dataSource.query(`SELECT seq::text AS seq, event_type, event->'data' AS data FROM audit_log WHERE psu_id = $1 ORDER BY seq`, [psuId]);
}

/** The PSU's one alert, once the worker's tail has recorded it. */
function onlyAlertOf(db: TestDatabase, psuId: string): Promise<{ alert_id: string }> {
  return vi.waitFor(async () => {
    const rows: { alert_id: string }[] = await db.dataSource.query(`SELECT alert_id FROM psu_alert WHERE psu_id = $1`, [psuId]);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  }, WAIT);
}

/** An SMTP server that refuses every recipient as Postfix refuses an unknown mailbox: its reply repeats the address. */
async function startRefusingSmtpServer(port: number): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('220 mx.example.test ESMTP\r\n');
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'RCPT') socket.write(`550 5.1.1 ${/<[^>]*>/.exec(line)?.[0] ?? '<>'}: Recipient address rejected: User unknown in virtual mailbox table\r\n`);
        else if (verb === 'QUIT') socket.end('221 2.0.0 Bye\r\n');
        else socket.write(verb === 'EHLO' || verb === 'HELO' ? '250 mx.example.test\r\n' : '250 2.0.0 Ok\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('PSU alerts: audit event to alert row to email', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let mail: MailCatcher;
  let worker: RunningWorker;
  let subscriber: Redis;
  const published: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('psu_alerts');
    redis = createTestRedis('psu-alerts');
    mail = await startMailCatcher();
    await db.dataSource.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('tpp-budget', 'Budget Buddy', '{AISP,PISP}', '{}')`);
    subscriber = new Redis(redis.url);
    await subscriber.subscribe(psuAlertChannel(redis.prefix));
    subscriber.on('message', (_channel, message: string) => published.push(message));
    worker = await startWorker(workerConfig(db, redis, mail.smtpUrl));
  });

  afterAll(async () => {
    await worker?.close();
    subscriber?.disconnect();
    await mail?.stop();
    await db?.drop();
    await redis?.cleanup();
  });

  it('emails a payment above the threshold with the masked content, after the alert is recorded', async () => {
    const psuId = await addPsu(db, 'alice', 'alice@example.test');
    await record(db, {
      type: 'payment.submitted',
      actor: { type: 'tpp', id: 'tpp-budget' },
      clientId: 'tpp-budget',
      psuId,
      consentId: 'pc-1',
      data: { paymentId: 'pay-1', kind: 'domestic-payment', status: 'PDNG', amount: '1250.00', currency: 'GBP' },
    });
    await vi.waitFor(async () => expect(await mail.mails()).toHaveLength(1), WAIT);
    const [sent] = await mail.mails();
    expect(sent!.to.map((to) => to.address)).toEqual(['alice@example.test']);
    expect(sent!.subject).toBe('Consentry alert: A payment of 1250.00 GBP');
    expect(sent!.text).toContain('A payment of 1250.00 GBP was made through Budget Buddy, at or above your alert threshold of 250.00.');
    expect(sent!.text).not.toMatch(/https?:\/\//);

    const [alert]: { alert_id: string; kind: string }[] = await db.dataSource.query(`SELECT alert_id, kind FROM psu_alert WHERE psu_id = $1`, [psuId]);
    expect(alert!.kind).toBe('payment-above-threshold');
    await vi.waitFor(async () => expect((await auditOf(db, psuId)).map((row) => row.event_type)).toEqual(['payment.submitted', 'alert.recorded', 'alert.emailed']), WAIT);
    const log = await auditOf(db, psuId);
    expect(log[1]!.data).toMatchObject({ alertId: alert.alert_id, kind: 'payment-above-threshold' });
    // The address never reaches the audit log in clear.
    expect(log[2]!.data).toMatchObject({ alertId: alert.alert_id, to: 'a***@example.test' });
    expect(JSON.stringify(log)).not.toContain('alice@example.test');
    expect(published.map((message) => JSON.parse(message) as { alertId: string })).toContainEqual(expect.objectContaining({ alertId: alert.alert_id, psuId }));
  });

  it('alerts failed sign-ins once per burst: five failures six minutes apart, then the lock, make one such alert', async () => {
    // Until 8 December 2026 each failure that left exactly three in the 15-minute window made one: three here (a probe's find).
    const psuId = await addPsu(db, 'slow-attack', null);
    const now = Date.now();
    for (const [minutesAgo, n] of [[24, 1], [18, 2], [12, 3], [6, 4], [0, 5]] as const) {
      await record(db, { type: 'psu.login.failed', actor: { type: 'psu', id: psuId }, psuId, occurredAt: new Date(now - minutesAgo * 60_000), data: { reason: 'invalid_credentials', consecutiveFailures: n } });
    }
    await record(db, { type: 'psu.locked', actor: { type: 'psu', id: psuId }, psuId, data: { afterFailures: 5, known: true } });
    const kinds = await vi.waitFor(async () => {
      const rows: { kind: string }[] = await db.dataSource.query(`SELECT kind FROM psu_alert WHERE psu_id = $1 ORDER BY source_seq`, [psuId]);
      expect(rows.map((row) => row.kind)).toContain('sign-in-locked');
      return rows.map((row) => row.kind);
    }, WAIT);
    expect(kinds).toEqual(['failed-sign-ins', 'sign-in-locked']);
  });

  it('says "an app", not the name, when a TPP put a link in its name: the email carries no link', async () => {
    const psuId = await addPsu(db, 'erin', 'erin@example.test');
    await db.dataSource.query(
      `INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('tpp-linked', 'Budget Buddy - confirm it at https://budget-buddy-secure.example/verify', '{AISP}', '{}')`,
    );
    await record(db, { type: 'consent.authorised', actor: { type: 'psu', id: psuId }, clientId: 'tpp-linked', psuId, consentId: 'aac-linked', data: {} });
    const sent = await vi.waitFor(async () => {
      const mine = (await mail.mails()).filter((m) => m.to.some((to) => to.address === 'erin@example.test'));
      expect(mine).toHaveLength(1);
      return mine[0]!;
    }, WAIT);
    expect(sent.subject).toBe('Consentry alert: You gave an app access');
    expect(`${sent.subject}\n${sent.text}`).not.toMatch(/https?:|budget-buddy-secure/);
  });

  it('streams an alert live only to a PSU whose channels hold the dashboard; the list keeps it either way', async () => {
    // Until 8 December 2026 the dashboard channel switched nothing off (a probe's find).
    const quiet = await addPsu(db, 'frank', null);
    const live = await addPsu(db, 'gina', null);
    await db.dataSource.query(`INSERT INTO psu_alert_preference (psu_id, channels, payment_threshold) VALUES ($1, '{email}', 250), ($2, '{dashboard}', 250)`, [quiet, live]);
    for (const psuId of [quiet, live]) await record(db, { type: 'psu.locked', actor: { type: 'psu', id: psuId }, psuId, data: { afterFailures: 5, known: true } });
    await vi.waitFor(() => expect(published.map((message) => (JSON.parse(message) as { psuId: string }).psuId)).toContain(live), WAIT);
    const listed: { psu_id: string }[] = await db.dataSource.query(`SELECT psu_id FROM psu_alert WHERE psu_id IN ($1, $2)`, [quiet, live]);
    expect(listed).toHaveLength(2);
    expect(published.map((message) => (JSON.parse(message) as { psuId: string }).psuId)).not.toContain(quiet);
  });

  it('makes no alert for a payment under the threshold, for a PSU who chose no email sends none', async () => {
    const psuId = await addPsu(db, 'bob', 'bob@example.test');
    await db.dataSource.query(`INSERT INTO psu_alert_preference (psu_id, channels, payment_threshold) VALUES ($1, '{dashboard}', 500)`, [psuId]);
    const payment = (paymentId: string, amount: string): AuditEventInput => ({
      type: 'payment.submitted',
      actor: { type: 'tpp', id: 'tpp-budget' },
      clientId: 'tpp-budget',
      psuId,
      data: { paymentId, kind: 'domestic-vrp', status: 'PDNG', amount, currency: 'GBP' },
    });
    await record(db, payment('pay-2', '499.99'));
    await record(db, payment('pay-3', '500.00'));
    await vi.waitFor(async () => expect((await auditOf(db, psuId)).map((row) => row.event_type)).toEqual(['payment.submitted', 'payment.submitted', 'alert.recorded']), WAIT);
    const alerts: { title: string }[] = await db.dataSource.query(`SELECT title FROM psu_alert WHERE psu_id = $1`, [psuId]);
    expect(alerts).toEqual([{ title: 'A recurring payment (VRP) of 500.00 GBP' }]);
    expect((await mail.mails()).filter((m) => m.to.some((to) => to.address === 'bob@example.test'))).toEqual([]);
  });
});

describe('PSU alerts: a mail server refusing the address', () => {
  // A database and Redis prefix of its own: the refused email's job keeps retrying after the case.
  let db: TestDatabase;
  let redis: TestRedis;

  beforeAll(async () => {
    db = await createTestDatabase('psu_alerts_refused');
    redis = createTestRedis('psu-alerts-refused');
  });

  afterAll(async () => {
    await db?.drop();
    await redis?.cleanup();
  });

  it('keeps the PSU’s address out of the retried job and its log when the mail server refuses it, naming the reply code instead', async () => {
    const smtpPort = await findFreePort();
    const refusing = await startRefusingSmtpServer(smtpPort);
    const worker = await startWorker(workerConfig(db, redis, `smtp://127.0.0.1:${smtpPort}`));
    const queue = new Queue(ALERT_EMAIL_QUEUE, { connection: { url: redis.url }, prefix: redis.prefix });
    try {
      const psuId = await addPsu(db, 'dora', 'dora.unknown-mailbox@example.test');
      await record(db, { type: 'psu.locked', actor: { type: 'psu', id: psuId }, psuId, data: { afterFailures: 5, known: true } });
      const alert = await onlyAlertOf(db, psuId);
      // BullMQ keeps the error's message as the job's failedReason, and the worker logs that message.
      // (An attempt made before the alert's row committed fails as 'alert not recorded yet': the next one reaches the server.)
      const failedReason = await vi.waitFor(async () => {
        const job = await queue.getJob(alert.alert_id);
        expect(job?.failedReason).toMatch(/mail server/);
        return job!.failedReason;
      }, WAIT);
      // Until 7 December 2026: "... all recipients were rejected: 550 5.1.1 <dora.unknown-mailbox@example.test>: ...".
      expect(failedReason).toBe('the mail server did not take the alert email (EENVELOPE, reply 550, to RCPT)');
      expect(JSON.stringify((await queue.getJob(alert.alert_id))?.stacktrace ?? [])).not.toContain('unknown-mailbox');
    } finally {
      await queue.close();
      await worker.close();
      await new Promise((resolve) => refusing.close(resolve));
    }
  });
});

describe('PSU alerts: a failing mail server and a worker restart', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let mail: MailCatcher | undefined;
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('psu_alerts_restart');
    redis = createTestRedis('psu-alerts-restart');
  });

  afterAll(async () => {
    await worker?.close();
    await mail?.stop();
    await db?.drop();
    await redis?.cleanup();
  });

  it('retries the email until the server is up, and a restart from an old cursor adds no alert nor email', async () => {
    // Nothing listens on this port until the mail server starts there.
    const smtpPort = await findFreePort();
    const config = workerConfig(db, redis, `smtp://127.0.0.1:${smtpPort}`);
    const psuId = await addPsu(db, 'carol', 'carol@example.test');
    worker = await startWorker(config);
    await record(db, { type: 'psu.locked', actor: { type: 'psu', id: psuId }, psuId, data: { afterFailures: 5, known: true } });

    const alert = await onlyAlertOf(db, psuId);
    const queue = new Queue(ALERT_EMAIL_QUEUE, { connection: { url: redis.url }, prefix: redis.prefix });
    try {
      await vi.waitFor(async () => expect((await queue.getJob(alert.alert_id))?.attemptsMade).toBeGreaterThanOrEqual(2), WAIT);
    } finally {
      await queue.close();
    }

    // The worker stops mid-way (email still undelivered), and its cursor is as if the crash had come
    // before the batch committed: the next worker reads the same entries again.
    await worker.close();
    worker = undefined;
    await db.dataSource.query(`UPDATE alert_cursor SET last_seq = 0`);
    mail = await startMailCatcher({ smtpPort });
    worker = await startWorker(config);

    await vi.waitFor(async () => expect(await mail!.mails()).toHaveLength(1), WAIT);
    // The tail has passed the entries again (the cursor is back at the head) without writing anything twice.
    await vi.waitFor(async () => {
      const [cursor]: { behind: boolean }[] = await db.dataSource.query(`SELECT last_seq >= (SELECT max(seq) FROM audit_log WHERE psu_id = $1) AS behind FROM alert_cursor`, [psuId]);
      expect(cursor!.behind).toBe(true);
    }, WAIT);
    await vi.waitFor(async () => expect((await auditOf(db, psuId)).map((row) => row.event_type)).toEqual(['psu.locked', 'alert.recorded', 'alert.emailed']), WAIT);
    const [counts]: { alerts: number }[] = await db.dataSource.query(`SELECT count(*)::int AS alerts FROM psu_alert WHERE psu_id = $1`, [psuId]);
    expect(counts!.alerts).toBe(1);
    const [sent] = await mail.mails();
    expect(sent!.subject).toBe('Consentry alert: Your sign-in is locked');
    expect(await mail.mails()).toHaveLength(1);
  });
});
