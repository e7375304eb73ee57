import type { ApiConfig } from '@consentry/config';
import { eventAnnouncementChannel } from '@consentry/tpps';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';

import { API_CONFIG } from '../api.tokens.js';

/**
 * The worker announces on Redis which TPPs have new events; a long poll waits here for its TPP's
 * announcement (or its deadline) instead of querying in a loop. One subscriber connection per process,
 * opened on the first wait.
 */
/**
 * Long polls one TPP may hold waiting at once on one API instance. Each holds a socket, a timer and a
 * waiter, and they all look for events at the same moment when one is announced: until 7 December 2026
 * only the TPP's rate limit bounded them (some 600 at once). A poll past it answers at once, as
 * `returnImmediately` would.
 */
export const MAX_LONG_POLLS_PER_TPP = 10;

/** A TPP's announcements being listened for (EventAnnouncements.watch). */
export interface AnnouncementWatch {
  wait(timeoutMs: number): Promise<void>;
  stop(): void;
}

@Injectable()
export class EventAnnouncements implements OnModuleDestroy {
  private subscriber?: Promise<Redis>;
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(
    private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /**
   * Starts listening for announcements of `clientId`'s new events, before the caller looks for its
   * pending ones: an announcement made between that look and the wait still ends the wait. `wait`
   * resolves on an announcement made since `watch` (at once if one already came), after `timeoutMs`, or
   * when `abort` fires; `stop` ends the listening (call it when done, waited or not). Null when the TPP
   * already holds MAX_LONG_POLLS_PER_TPP watches here: the caller then answers without waiting.
   */
  async watch(clientId: string, abort: AbortSignal): Promise<AnnouncementWatch | null> {
    await this.subscribed();
    const waiters = this.waiting.get(clientId) ?? new Set<() => void>();
    // Counted and added in one turn of the event loop: polls arriving together cannot all pass the count.
    if (waiters.size >= MAX_LONG_POLLS_PER_TPP) return null;
    this.waiting.set(clientId, waiters);
    let announced = false;
    let wake: (() => void) | undefined;
    const onAnnouncement = () => {
      announced = true;
      wake?.();
    };
    waiters.add(onAnnouncement);
    const stop = () => {
      waiters.delete(onAnnouncement);
      if (waiters.size === 0 && this.waiting.get(clientId) === waiters) this.waiting.delete(clientId);
      wake?.();
    };
    const wait = (timeoutMs: number) =>
      new Promise<void>((resolve) => {
        if (announced || abort.aborted) return resolve();
        const done = () => {
          clearTimeout(timer);
          abort.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        abort.addEventListener('abort', done, { once: true });
        wake = done;
      });
    return { wait, stop };
  }

  private subscribed(): Promise<Redis> {
    this.subscriber ??= (async () => {
      const subscriber = this.redis.duplicate();
      subscriber.on('error', () => undefined);
      subscriber.on('message', (_channel: string, clientId: string) => {
        for (const wake of [...(this.waiting.get(clientId) ?? [])]) wake();
      });
      await subscriber.subscribe(eventAnnouncementChannel(this.config.redisPrefix));
      return subscriber;
    })();
    return this.subscriber;
  }

  async onModuleDestroy(): Promise<void> {
    for (const waiters of this.waiting.values()) for (const wake of [...waiters]) wake();
    if (this.subscriber) (await this.subscriber.catch(() => undefined))?.disconnect();
  }
}
