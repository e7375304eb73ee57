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
@Injectable()
export class EventAnnouncements implements OnModuleDestroy {
  private subscriber?: Promise<Redis>;
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(
    private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Resolves when an event of `clientId` is announced, or after `timeoutMs`; `abort` ends it early. */
  async waitFor(clientId: string, timeoutMs: number, abort: AbortSignal): Promise<void> {
    await this.subscribed();
    await new Promise<void>((resolve) => {
      const waiters = this.waiting.get(clientId) ?? new Set<() => void>();
      this.waiting.set(clientId, waiters);
      const done = () => {
        clearTimeout(timer);
        abort.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiting.get(clientId) === waiters) this.waiting.delete(clientId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      abort.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
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
