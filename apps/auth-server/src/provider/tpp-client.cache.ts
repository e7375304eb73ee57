import { Logger } from '@nestjs/common';
import { AdapterPayload } from 'oidc-provider';
import pg from 'pg';

/** The channel the `tpp` table's trigger notifies on every change of a row (payload: its client_id). */
export const TPP_CHANGED_CHANNEL = 'tpp_changed';

const RELISTEN_DELAY_MS = 1000;

/**
 * Active TPPs' client metadata kept in memory for at most `ttlSeconds`, so the token endpoint does not
 * read the `tpp` row on every request. It caches only while a `TppChangeListener` is connected: any change
 * of a row (suspension, deregistration, update) evicts it at once; with the listener down nothing is
 * cached. A read that started before a change is never stored after it (the generation check), so an
 * eviction cannot be undone by a slow query.
 */
export class TppClientCache {
  private readonly entries = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  private generation = 0;
  private listening = false;

  constructor(private readonly ttlSeconds: number) {}

  get enabled(): boolean {
    return this.listening && this.ttlSeconds > 0;
  }

  get(clientId: string): AdapterPayload | undefined {
    if (!this.enabled) return undefined;
    const entry = this.entries.get(clientId);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(clientId);
      return undefined;
    }
    return entry.payload;
  }

  /** Taken before reading the row; `set` stores the result only if no change was seen since. */
  snapshot(): number {
    return this.generation;
  }

  set(clientId: string, payload: AdapterPayload, generation: number): void {
    if (!this.enabled || generation !== this.generation) return;
    this.entries.set(clientId, { payload, expiresAt: Date.now() + this.ttlSeconds * 1000 });
  }

  evict(clientId: string): void {
    this.generation += 1;
    this.entries.delete(clientId);
  }

  /** The listener is connected: cache from now on, starting empty (changes before it were not heard). */
  startCaching(): void {
    this.generation += 1;
    this.entries.clear();
    this.listening = true;
  }

  /** The listener is gone: changes would go unheard, so forget everything and read every request. */
  stopCaching(): void {
    this.generation += 1;
    this.entries.clear();
    this.listening = false;
  }
}

/**
 * A dedicated PostgreSQL connection LISTENing on `tpp_changed` (the trigger of migration
 * 1764400000000), evicting the changed TPP from `cache`. When the connection is lost the cache stops
 * caching until a new connection listens again (retried every second).
 */
export class TppChangeListener {
  private readonly logger = new Logger('TppChangeListener');
  private client: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly cache: TppClientCache,
  ) {}

  /** Connects and listens; if that fails the server still runs, uncached, and keeps retrying. */
  async start(): Promise<void> {
    await this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.cache.stopCaching();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'consentry-auth-server-tpp-listener', keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel === TPP_CHANGED_CHANNEL && message.payload) this.cache.evict(message.payload);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${TPP_CHANGED_CHANNEL}`);
    } catch (error) {
      this.logger.warn(`cannot listen for TPP changes (${(error as Error).message}); client metadata is read on every request until it can`);
      await client.end().catch(() => undefined);
      this.scheduleRetry();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.cache.startCaching();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.cache.stopCaching();
    if (this.stopped) return;
    this.logger.warn('lost the TPP change listener; client metadata is read on every request until it is back');
    void client.end().catch(() => undefined);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.listen();
    }, RELISTEN_DELAY_MS);
    this.retry.unref();
  }
}
