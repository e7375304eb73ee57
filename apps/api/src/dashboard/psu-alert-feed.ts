import { psuAlertChannel, PublishedAlert } from '@consentry/alerts';
import type { ApiConfig } from '@consentry/config';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';

import { API_CONFIG } from '../api.tokens.js';

type Listener = (alert: PublishedAlert) => void;

/**
 * Live alert streams one PSU may hold open at once on one API instance (tabs, devices). Each holds a
 * socket, a timer and a session check every 25 s: until 7 December 2026 one session could open any number.
 */
export const MAX_ALERT_STREAMS_PER_PSU = 10;

/**
 * The live feed of new alerts for the dashboards this API instance serves: one Redis subscription per
 * instance (the worker publishes each alert once; every instance hears it), handed to the streams of
 * the PSU it belongs to.
 */
@Injectable()
export class PsuAlertFeed implements OnModuleDestroy {
  private readonly logger = new Logger(PsuAlertFeed.name);
  private readonly listeners = new Map<string, Set<Listener>>();
  private subscriber?: Redis;
  private subscribing?: Promise<void>;

  constructor(
    private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /**
   * Calls `listener` with each new alert of this PSU until the returned function is called; null, and
   * nothing subscribed, when the PSU already holds MAX_ALERT_STREAMS_PER_PSU streams here.
   */
  async subscribe(psuId: string, listener: Listener): Promise<(() => void) | null> {
    await (this.subscribing ??= this.connect());
    const set = this.listeners.get(psuId) ?? new Set<Listener>();
    // Counted and added in one turn of the event loop: streams opened together cannot all pass the count.
    if (set.size >= MAX_ALERT_STREAMS_PER_PSU) return null;
    set.add(listener);
    this.listeners.set(psuId, set);
    return () => {
      set.delete(listener);
      // Only this set: called again after the PSU's streams started a new one, it must not drop that one.
      if (set.size === 0 && this.listeners.get(psuId) === set) this.listeners.delete(psuId);
    };
  }

  private async connect(): Promise<void> {
    const subscriber = this.redis.duplicate();
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, message: string) => this.deliver(message));
    this.subscriber = subscriber;
    await subscriber.subscribe(psuAlertChannel(this.config.redisPrefix));
  }

  private deliver(message: string): void {
    let alert: PublishedAlert;
    try {
      alert = JSON.parse(message) as PublishedAlert;
    } catch {
      this.logger.warn('alert message is not JSON; skipped');
      return;
    }
    for (const listener of this.listeners.get(alert.psuId) ?? []) listener(alert);
  }

  onModuleDestroy(): void {
    this.subscriber?.disconnect();
  }
}
