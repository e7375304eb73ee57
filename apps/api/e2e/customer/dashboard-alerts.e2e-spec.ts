import { createHash } from 'node:crypto';

import { psuAlertChannel, PublishedAlert } from '@consentry/alerts';
import { currentTotpCode } from '@consentry/identity';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { MAX_ALERT_STREAMS_PER_PSU } from '../../src/dashboard/psu-alert-feed.js';
import { ApiHarness } from '../support/api-harness.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** An open alert stream as a client reads it. */
interface AlertStream {
  /** Everything read so far. */
  received(): string;
  /** Reads until `marker` has arrived; fails if the stream ends first. */
  readUntil(marker: string): Promise<void>;
  /** Reads on until the server ends the stream, or gives up after `withinMs` (and closes it). */
  readToEnd(withinMs?: number): Promise<'ended' | 'still open'>;
  close(): void;
}

describe('dashboard alerts: the list, read marks, preferences and the live stream', () => {
  let h: ApiHarness;
  let publisher: Redis;
  let aliceId: string;
  let bobId: string;
  let aliceCookie: string;
  let bobCookie: string;
  let carolCookie: string;

  beforeAll(async () => {
    // Sessions signed in here are used by tests that may start minutes later on a loaded machine.
    h = await ApiHarness.start('dashboard_alerts', { SESSION_IDLE_SECONDS: '600' });
    publisher = new Redis(h.redis.url);
    aliceId = await h.psuId('alice');
    // One sign-in per PSU: a TOTP code is accepted once (replay refused).
    aliceCookie = await signIn('alice');
    bobCookie = await signIn('bob');
    carolCookie = await signIn('carol');
    bobId = await h.psuId('bob');
  });
  afterAll(async () => {
    publisher?.disconnect();
    await h?.stop();
  });

  /** Signs a sandbox PSU in through the dashboard's form; the session cookie. */
  async function signIn(username: string): Promise<string> {
    const psu = h.sandbox.psus.find((p) => p.username === username)!;
    const page = await h.call('GET', '/dashboard/login');
    const loginCookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(String(page.body))![1]!;
    const form = new URLSearchParams({ csrf, username, password: psu.password, otp: await currentTotpCode(psu.totpSecret) }).toString();
    const posted = await postForm('/dashboard/login', form, loginCookie);
    expect(posted.status).toBe(303);
    return posted.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('consentry-dashboard='))!;
  }

  /** A form post without following the redirect (fetch would follow it and drop the Set-Cookie). */
  function postForm(path: string, body: string, cookie: string): Promise<Response> {
    return fetch(`${h.api.url}${path}`, { method: 'POST', body, headers: { ...FORM, cookie }, redirect: 'manual' });
  }

  async function alertsPage(cookie: string): Promise<{ html: string; csrf: string; csp: string | null }> {
    const page = await h.call('GET', '/dashboard/alerts', { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = String(page.body);
    return { html, csrf: /name="csrf" value="([^"]+)"/.exec(html)![1]!, csp: page.headers.get('content-security-policy') };
  }

  async function openStream(cookie: string): Promise<AlertStream> {
    const controller = new AbortController();
    const response = await fetch(`${h.api.url}/dashboard/alerts/stream`, { headers: { cookie }, signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const stream: AlertStream = {
      received: () => received,
      async readUntil(marker) {
        while (!received.includes(marker)) {
          const { value, done } = await reader.read();
          if (done) throw new Error('stream ended');
          received += decoder.decode(value, { stream: true });
        }
      },
      async readToEnd(withinMs = 15_000) {
        const giveUp = setTimeout(() => controller.abort(), withinMs);
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return 'ended';
            received += decoder.decode(value, { stream: true });
          }
        } catch {
          return 'still open';
        } finally {
          clearTimeout(giveUp);
        }
      },
      close: () => controller.abort(),
    };
    await stream.readUntil(': subscribed');
    return stream;
  }

  function alertOf(psuId: string, alertId: string, title: string): PublishedAlert {
    return { alertId, psuId, kind: 'sign-in-locked', title, body: 'x', createdAt: new Date().toISOString() };
  }

  /** The Redis key of a dashboard session (its token's SHA-256, as the session store keeps it). */
  function sessionKey(cookie: string): string {
    const token = cookie.slice('consentry-dashboard='.length);
    return `${h.config.redisPrefix}:session:customer:${createHash('sha256').update(token).digest('hex')}`;
  }

  async function insertAlert(psuId: string, title: string): Promise<string> {
    const [row]: { alert_id: string }[] = await h.dataSource.query(
      `INSERT INTO psu_alert (psu_id, kind, source_event_id, source_seq, title, body) VALUES ($1, 'sign-in-locked', gen_random_uuid(), 1, $2, 'Body of the alert.') RETURNING alert_id`,
      [psuId, title],
    );
    return row!.alert_id;
  }

  it('streams a new alert of the signed-in PSU over server-sent events, and not another PSU\'s', async () => {
    const stream = await openStream(aliceCookie);
    const channel = psuAlertChannel(h.redis.prefix);
    const bobs: PublishedAlert = { alertId: '00000000-0000-4000-8000-00000000000b', psuId: bobId, kind: 'sign-in-locked', title: 'Bob only', body: 'x', createdAt: new Date().toISOString() };
    const alices: PublishedAlert = { alertId: '00000000-0000-4000-8000-00000000000a', psuId: aliceId, kind: 'access-granted', title: 'You gave Budget Buddy access', body: 'You gave it access.', createdAt: new Date().toISOString() };
    // Published in this order: bob's would arrive first if it were sent to alice at all.
    await publisher.publish(channel, JSON.stringify(bobs));
    await publisher.publish(channel, JSON.stringify(alices));
    await stream.readUntil(alices.alertId);
    stream.close();
    expect(stream.received()).not.toContain('Bob only');
    const event = stream.received().split('\n\n').find((block) => block.includes('event: alert'))!;
    expect(event).toBe(`id: ${alices.alertId}\nevent: alert\ndata: ${JSON.stringify({ alertId: alices.alertId, kind: alices.kind, title: alices.title, body: alices.body, createdAt: alices.createdAt })}`);
  });

  it('refuses the stream without a session', async () => {
    const response = await fetch(`${h.api.url}/dashboard/alerts/stream`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/dashboard/login');
  });

  it('lets one PSU hold at most MAX_ALERT_STREAMS_PER_PSU streams at once: the next is 429, and one closed makes room', async () => {
    const streams = await Promise.all(Array.from({ length: MAX_ALERT_STREAMS_PER_PSU }, () => openStream(carolCookie)));
    try {
      // Until 7 December 2026 one session opened as many as it asked for (100 of 100 in a probe).
      const refused = await fetch(`${h.api.url}/dashboard/alerts/stream`, { headers: { cookie: carolCookie } });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('60');
      expect(await refused.json()).toEqual({ error: 'too_many_streams', message: `At most ${MAX_ALERT_STREAMS_PER_PSU} alert streams may be open at once: close another page first` });
      // Once the server has seen one close, the PSU may open another.
      streams.pop()!.close();
      streams.push(await vi.waitFor(() => openStream(carolCookie), { timeout: 5_000, interval: 50 }));
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('lists alerts with unread ones, marks one read (own only, with CSRF), under a CSP with one same-origin script', async () => {
    const cookie = aliceCookie;
    const mine = await insertAlert(aliceId, 'Your sign-in is locked');
    const bobs = await insertAlert(bobId, 'Bob locked');
    const page = await alertsPage(cookie);
    expect(page.csp).toBe("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; script-src 'self'; connect-src 'self'");
    expect(page.html).toContain('<script src="/dashboard/assets/alerts.js" defer></script>');
    expect(page.html).not.toMatch(/<script>|<script [^>]*>[^<]/);
    expect(page.html).toContain('Your sign-in is locked');
    expect(page.html).not.toContain('Bob locked');

    const forged = await postForm(`/dashboard/alerts/${mine}/read`, 'csrf=forged', cookie);
    expect(forged.status).toBe(403);
    const read = await postForm(`/dashboard/alerts/${mine}/read`, new URLSearchParams({ csrf: page.csrf }).toString(), cookie);
    expect(read.status).toBe(303);
    await postForm(`/dashboard/alerts/${bobs}/read`, new URLSearchParams({ csrf: page.csrf }).toString(), cookie);
    const rows: { alert_id: string; read: boolean }[] = await h.dataSource.query(`SELECT alert_id, read_at IS NOT NULL AS read FROM psu_alert WHERE alert_id = ANY($1::uuid[])`, [[mine, bobs]]);
    expect(Object.fromEntries(rows.map((r) => [r.alert_id, r.read]))).toEqual({ [mine]: true, [bobs]: false });

    const script = await h.call('GET', '/dashboard/assets/alerts.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(String(script.body)).toContain("new EventSource('/dashboard/alerts/stream')");
    expect(String(script.body)).not.toContain('innerHTML');
  });

  it('saves valid preferences with alert.preferences-changed, and refuses bad ones without a write', async () => {
    const cookie = carolCookie;
    const carolId = await h.psuId('carol');
    const { csrf } = await alertsPage(cookie);
    const post = (fields: [string, string][]) => postForm('/dashboard/alerts/preferences', new URLSearchParams([['csrf', csrf], ...fields]).toString(), cookie);
    for (const bad of [[['channels', 'sms']], [['paymentThreshold', '-5']], [['paymentThreshold', '1e9']], [['channels', 'email'], ['channels', 'email']], [['other', 'x']]] as [string, string][][]) {
      expect((await post(bad)).status).toBe(400);
    }
    expect(await h.dataSource.query(`SELECT 1 FROM psu_alert_preference WHERE psu_id = $1`, [carolId])).toEqual([]);

    const saved = await post([['channels', 'dashboard'], ['paymentThreshold', '75.50']]);
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/dashboard/alerts?notice=saved');
    const [row] = await h.dataSource.query(`SELECT channels, payment_threshold::text AS threshold FROM psu_alert_preference WHERE psu_id = $1`, [carolId]);
    expect(row).toEqual({ channels: ['dashboard'], threshold: '75.50000' });
    const page = await alertsPage(cookie);
    expect(page.html).toContain('value="75.50"');
    expect(page.html).toContain('value="email">');
    const [event] = await h.dataSource.query(
      `SELECT event->'data' AS data FROM audit_outbox WHERE event->>'type' = 'alert.preferences-changed' AND event->>'psuId' = $1`,
      [carolId],
    );
    expect(event.data).toEqual({ channels: ['dashboard'], paymentThreshold: '75.50' });
  });

  describe('the stream follows the session: it ends, with nothing more sent, once the session is over', () => {
    it('does not keep the session alive: delivering an alert leaves its idle timeout running', async () => {
      const stream = await openStream(bobCookie);
      // Shorter than this suite's SESSION_IDLE_SECONDS (600): a renewal would set it back to 600.
      await publisher.expire(sessionKey(bobCookie), 45);
      const alert = alertOf(bobId, '00000000-0000-4000-8000-0000000000b1', 'Still signed in');
      await publisher.publish(psuAlertChannel(h.redis.prefix), JSON.stringify(alert));
      await stream.readUntil(alert.alertId);
      stream.close();
      expect(await publisher.ttl(sessionKey(bobCookie))).toBeLessThanOrEqual(45);
    });

    it('ends the stream at sign-out and delivers no alert published after it', async () => {
      const stream = await openStream(bobCookie);
      const { csrf } = await alertsPage(bobCookie);
      const signedOut = await postForm('/dashboard/logout', new URLSearchParams({ csrf }).toString(), bobCookie);
      expect(signedOut.status).toBe(303);
      const alert = alertOf(bobId, '00000000-0000-4000-8000-0000000000b2', 'After sign-out');
      await publisher.publish(psuAlertChannel(h.redis.prefix), JSON.stringify(alert));
      const end = await stream.readToEnd();
      expect({ end, delivered: stream.received().includes(alert.alertId) }).toEqual({ end: 'ended', delivered: false });
    });

    it('ends the stream once the PSU is locked and delivers no alert published after it', async () => {
      const carolId = await h.psuId('carol');
      const stream = await openStream(carolCookie);
      await h.dataSource.query(`UPDATE psu SET locked_until = now() + interval '1 hour' WHERE psu_id = $1`, [carolId]);
      try {
        const alert = alertOf(carolId, '00000000-0000-4000-8000-0000000000c1', 'After the lock');
        await publisher.publish(psuAlertChannel(h.redis.prefix), JSON.stringify(alert));
        const end = await stream.readToEnd();
        expect({ end, delivered: stream.received().includes(alert.alertId) }).toEqual({ end: 'ended', delivered: false });
        // Ended as the guard ends it: the session is gone, not only this stream.
        expect(await publisher.exists(sessionKey(carolCookie))).toBe(0);
      } finally {
        await h.dataSource.query(`UPDATE psu SET locked_until = NULL WHERE psu_id = $1`, [carolId]);
      }
    });
  });
});
