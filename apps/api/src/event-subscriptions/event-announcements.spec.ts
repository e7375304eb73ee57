import { loadApiConfig } from '@consentry/config';
import { createTestRedis, TestRedis } from '@consentry/testing';
import { eventAnnouncementChannel } from '@consentry/tpps';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AnnouncementWatch, EventAnnouncements, MAX_LONG_POLLS_PER_TPP } from './event-announcements.js';

const sleep = (ms: number) => new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms));

describe('EventAnnouncements: a long poll\'s wait for its TPP\'s next event (real Redis pub/sub)', () => {
  let redis: TestRedis;
  let client: Redis;
  let publisher: Redis;
  let announcements: EventAnnouncements;

  beforeAll(() => {
    redis = createTestRedis('event-announcements');
    client = new Redis(redis.url);
    publisher = new Redis(redis.url);
    const config = loadApiConfig({
      DATABASE_URL: 'postgres://127.0.0.1/unused',
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
      AUTH_SERVER_URL: 'http://127.0.0.1:1',
    });
    announcements = new EventAnnouncements(client, config);
  });
  afterAll(async () => {
    await announcements.onModuleDestroy();
    client.disconnect();
    publisher.disconnect();
    await redis.cleanup();
  });

  /** A watch the announcements granted (the TPP holds fewer than MAX_LONG_POLLS_PER_TPP). */
  const watching = async (clientId: string, signal: AbortSignal): Promise<AnnouncementWatch> => {
    const watch = await announcements.watch(clientId, signal);
    if (watch === null) throw new Error(`no watch granted to ${clientId}`);
    return watch;
  };

  const announce = async (clientId: string) => {
    // Published, and given a moment to reach the subscriber.
    await publisher.publish(eventAnnouncementChannel(redis.prefix), clientId);
    await new Promise((resolve) => setTimeout(resolve, 100));
  };

  it('ends the wait for an announcement made after watching began and before the wait (between the look for pending events and the wait)', async () => {
    const watch = await watching('tpp-a', new AbortController().signal);
    await announce('tpp-a');
    const woken = await Promise.race([watch.wait(10_000).then(() => 'woken' as const), sleep(3_000)]);
    watch.stop();
    expect(woken).toBe('woken');
  });

  it('is not woken by another TPP\'s announcement, and ends at its deadline or when aborted', async () => {
    const watch = await watching('tpp-b', new AbortController().signal);
    await announce('tpp-c');
    expect(await Promise.race([watch.wait(10_000).then(() => 'woken' as const), sleep(1_000)])).toBe('timed out');
    watch.stop();

    const deadline = await watching('tpp-b', new AbortController().signal);
    expect(await Promise.race([deadline.wait(200).then(() => 'ended' as const), sleep(3_000)])).toBe('ended');
    deadline.stop();

    const abort = new AbortController();
    const aborted = await watching('tpp-b', abort.signal);
    const waiting = aborted.wait(10_000).then(() => 'ended' as const);
    abort.abort();
    expect(await Promise.race([waiting, sleep(3_000)])).toBe('ended');
    aborted.stop();
  });

  it('wakes a wait in progress when its TPP\'s event is announced', async () => {
    const watch = await watching('tpp-d', new AbortController().signal);
    const waiting = watch.wait(10_000).then(() => 'woken' as const);
    await announce('tpp-d');
    expect(await Promise.race([waiting, sleep(3_000)])).toBe('woken');
    watch.stop();
  });

  it('grants one TPP at most MAX_LONG_POLLS_PER_TPP watches at once, asked for together, and another TPP its own', async () => {
    const signal = new AbortController().signal;
    const asked = await Promise.all(Array.from({ length: MAX_LONG_POLLS_PER_TPP + 5 }, () => announcements.watch('tpp-e', signal)));
    const granted = asked.filter((watch): watch is AnnouncementWatch => watch !== null);
    // Until 7 December 2026 every one was granted: only the TPP's rate limit bounded its waiting polls.
    expect(granted).toHaveLength(MAX_LONG_POLLS_PER_TPP);
    const other = await watching('tpp-f', signal);
    granted.pop()!.stop();
    const again = await watching('tpp-e', signal);
    for (const watch of [...granted, other, again]) watch.stop();
  });
});
