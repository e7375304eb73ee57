import { randomUUID } from 'node:crypto';

import { psuAlertChannel, PublishedAlert } from '@consentry/alerts';
import { SandboxPsuCredentials } from '@consentry/sandbox';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freshTotpCode as freshOtp } from '../../../../../scripts/journey.js';
import { ScaledPlatform, startScaledPlatform } from '../../support/scaled-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x2c);
// Generous for a loaded machine; a stream that is fed answers within a second.
const EVENT_TIMEOUT_MS = 20_000;

/** One dashboard's server-sent event stream, read as it arrives. */
class AlertStream {
  private text = '';
  private readonly decoder = new TextDecoder();

  private constructor(
    readonly name: string,
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly controller: AbortController,
  ) {}

  /** Opens the stream on one api instance directly (not through the proxy); resolves once it is subscribed. */
  static async open(name: string, port: number, cookie: string): Promise<AlertStream> {
    const controller = new AbortController();
    const response = await fetch(`http://localhost:${port}/dashboard/alerts/stream`, { headers: { cookie }, signal: controller.signal, redirect: 'manual' });
    expect(response.status, name).toBe(200);
    expect(response.headers.get('content-type'), name).toBe('text/event-stream; charset=utf-8');
    const stream = new AlertStream(name, response.body!.getReader(), controller);
    // Written after the instance's subscription is in place: from here on no alert is missed.
    await stream.until(() => stream.text.includes(': subscribed\n\n'), 'the subscribed comment');
    return stream;
  }

  /** The complete `alert` events received so far, each as its wire text (`id`, `event`, `data` lines). */
  alerts(): string[] {
    // The last piece is '' or an event still arriving.
    return this.text.split('\n\n').slice(0, -1).filter((block) => block.startsWith('id: ') && block.includes('\nevent: alert\n'));
  }

  alertIds(): string[] {
    return this.alerts().map((block) => block.slice('id: '.length, block.indexOf('\n')));
  }

  /** Reads until the alert with this id has arrived whole. */
  untilAlert(alertId: string): Promise<void> {
    return this.until(() => this.alertIds().includes(alertId), `alert ${alertId}`);
  }

  async until(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + EVENT_TIMEOUT_MS;
    while (!done()) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${this.name}: no ${what} within ${EVENT_TIMEOUT_MS} ms; received:\n${this.text}`)), Math.max(0, deadline - Date.now()));
      });
      try {
        const { value, done: ended } = await Promise.race([this.reader.read(), timedOut]);
        if (ended) throw new Error(`${this.name}: the stream ended before ${what}; received:\n${this.text}`);
        this.text += this.decoder.decode(value, { stream: true });
      } finally {
        clearTimeout(timer);
      }
    }
  }

  close(): void {
    this.controller.abort();
  }
}

/**
 * Issue 13: "Across several API instances, alerts fan out through Redis." Two api instances (and two
 * workers, two auth servers) on one database and one Redis prefix. A PSU has her dashboard's live alerts
 * open on each api instance, another PSU his; failed sign-ins to her account, made through both
 * instances, become one alert that a worker records and publishes once on the Redis channel, and each
 * instance hands it to her stream, and only hers.
 */
describe('dashboard alerts across two api instances', () => {
  let platform: ScaledPlatform;
  let publisher: Redis;
  const streams: AlertStream[] = [];

  beforeAll(async () => {
    platform = await startScaledPlatform('alertfan', { secretsKey: SECRETS_KEY, seed: 37, env: { AUDIT_RELAY_INTERVAL_MS: '100', ALERT_INTERVAL_MS: '100' } });
    publisher = new Redis(platform.redis.url);
  }, 240_000);

  afterAll(async () => {
    for (const stream of streams) stream.close();
    publisher?.disconnect();
    await platform?.stop();
  });

  const psu = (username: string): SandboxPsuCredentials => platform.sandbox.psus.find((p) => p.username === username)!;

  async function psuId(username: string): Promise<string> {
    const [row]: { psu_id: string }[] = await platform.db.dataSource.query(`SELECT psu_id FROM psu WHERE username = $1`, [username]);
    return row!.psu_id;
  }

  /** Signs a PSU in through the dashboard's form on one instance; the session cookie. */
  async function signInToDashboard(port: number, who: SandboxPsuCredentials): Promise<string> {
    const base = `http://localhost:${port}`;
    const page = await fetch(`${base}/dashboard/login`);
    expect(page.status).toBe(200);
    const loginCookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const form = new URLSearchParams({ csrf, username: who.username, password: who.password, otp: await freshOtp(who.totpSecret) }).toString();
    // Not followed: fetch would follow the 303 and drop its Set-Cookie.
    const posted = await fetch(`${base}/dashboard/login`, {
      method: 'POST',
      body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
      redirect: 'manual',
    });
    expect(posted.status).toBe(303);
    const session = posted.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('consentry-dashboard='));
    expect(session).toBeDefined();
    return session!;
  }

  async function openStream(name: string, port: number, cookie: string): Promise<AlertStream> {
    const stream = await AlertStream.open(name, port, cookie);
    streams.push(stream);
    return stream;
  }

  it("delivers the worker's alert once to the PSU's stream on each instance, and nothing to another PSU's", async () => {
    const [first, second] = platform.instances;
    const channel = psuAlertChannel(platform.redis.prefix);
    const [aliceId, bobId] = [await psuId('alice'), await psuId('bob')];
    // Each signs in on one instance; the session (in Redis) opens the stream on both.
    const aliceCookie = await signInToDashboard(first!.api, psu('alice'));
    const bobCookie = await signInToDashboard(second!.api, psu('bob'));
    const alice = [await openStream('alice@api#1', first!.api, aliceCookie), await openStream('alice@api#2', second!.api, aliceCookie)];
    const bob = [await openStream('bob@api#1', first!.api, bobCookie), await openStream('bob@api#2', second!.api, bobCookie)];
    // One subscription per instance, however many streams it serves.
    expect(await publisher.call('PUBSUB', 'NUMSUB', channel)).toEqual([channel, 2]);

    // The third failed sign-in within the window makes one 'failed-sign-ins' alert (the lockout comes at five).
    for (let attempt = 0; attempt < 3; attempt++) {
      const refused = await fetch(`http://localhost:${platform.instances[attempt % 2]!.api}/customer/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'not-her-password', otp: '000000' }),
      });
      expect(refused.status).toBe(401);
    }
    for (const stream of alice) await stream.until(() => stream.alerts().length > 0, 'alert');

    const rows: { alert_id: string; psu_id: string; kind: string; title: string; body: string; created_at: Date }[] = await platform.db.dataSource.query(
      `SELECT alert_id, psu_id, kind, title, body, created_at FROM psu_alert WHERE psu_id IN ($1, $2)`,
      [aliceId, bobId],
    );
    expect(rows.map((row) => [row.psu_id, row.kind])).toEqual([[aliceId, 'failed-sign-ins']]);
    const recorded = rows[0]!;
    const expected = `id: ${recorded.alert_id}\nevent: alert\ndata: ${JSON.stringify({ alertId: recorded.alert_id, kind: recorded.kind, title: recorded.title, body: recorded.body, createdAt: recorded.created_at.toISOString() })}`;

    // Markers published after the alert was seen, the way the worker publishes: each instance's one
    // subscription hands messages on in order, so a second copy of the alert, or a leak of it to bob,
    // would reach a stream before its marker. Bob's goes first: alice's streams must not show it either.
    const marker = (psuIdOf: string): PublishedAlert => ({ alertId: randomUUID(), psuId: psuIdOf, kind: 'sign-in-locked', title: 'Marker', body: 'Marker.', createdAt: new Date().toISOString() });
    const [bobMarker, aliceMarker] = [marker(bobId), marker(aliceId)];
    await publisher.publish(channel, JSON.stringify(bobMarker));
    await publisher.publish(channel, JSON.stringify(aliceMarker));
    for (const stream of alice) await stream.untilAlert(aliceMarker.alertId);
    for (const stream of bob) await stream.untilAlert(bobMarker.alertId);

    for (const stream of alice) {
      expect(stream.alertIds(), stream.name).toEqual([recorded.alert_id, aliceMarker.alertId]);
      expect(stream.alerts()[0], stream.name).toBe(expected);
    }
    for (const stream of bob) expect(stream.alertIds(), stream.name).toEqual([bobMarker.alertId]);
  });
});
