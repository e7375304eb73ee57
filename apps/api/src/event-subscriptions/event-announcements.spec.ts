import { loadApiConfig } from '@consentry/config';
import { createTestRedis, TestRedis } from '@consentry/testing';
import { eventAnnouncementChannel } from '@consentry/tpps';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EventAnnouncements } from './event-announcements.js';

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

  const announce = async (clientId: string) => {
    // Published, and given a moment to reach the subscriber.
    await publisher.publish(eventAnnouncementChannel(redis.prefix), clientId);
    await new Promise((resolve) => setTimeout(resolve, 100));
  };

  it('ends the wait for an announcement made after watching began and before the wait (between the look for pending events and the wait)', async () => {
    const watch = await announcements.watch('tpp-a', new AbortController().signal);
    await announce('tpp-a');
    const woken = await Promise.race([watch.wait(10_000).then(() => 'woken' as const), sleep(3_000)]);
    watch.stop();
    expect(woken).toBe('woken');
  });

  it('is not woken by another TPP\'s announcement, and ends at its deadline or when aborted', async () => {
    const watch = await announcements.watch('tpp-b', new AbortController().signal);
    await announce('tpp-c');
    expect(await Promise.race([watch.wait(10_000).then(() => 'woken' as const), sleep(1_000)])).toBe('timed out');
    watch.stop();

    const deadline = await announcements.watch('tpp-b', new AbortController().signal);
    expect(await Promise.race([deadline.wait(200).then(() => 'ended' as const), sleep(3_000)])).toBe('ended');
    deadline.stop();

    const abort = new AbortController();
    const aborted = await announcements.watch('tpp-b', abort.signal);
    const waiting = aborted.wait(10_000).then(() => 'ended' as const);
    abort.abort();
    expect(await Promise.race([waiting, sleep(3_000)])).toBe('ended');
    aborted.stop();
  });

  it('wakes a wait in progress when its TPP\'s event is announced', async () => {
    const watch = await announcements.watch('tpp-d', new AbortController().signal);
    const waiting = watch.wait(10_000).then(() => 'woken' as const);
    await announce('tpp-d');
    expect(await Promise.race([waiting, sleep(3_000)])).toBe('woken');
    watch.stop();
  });
});
