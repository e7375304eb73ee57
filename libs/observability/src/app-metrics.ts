import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The pool of a TypeORM PostgreSQL data source as node-postgres exposes it. */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

/** Something holding a node-postgres pool: TypeORM's DataSource (`driver.master`). */
export interface PooledDataSource {
  readonly driver: unknown;
}

// Request durations from a millisecond (cached reads) to ten seconds (the slowest SLO we care about).
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The label of a request that matched no route: one value, whatever the URL, so cardinality stays bounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * One app's Prometheus registry: Node's process metrics, request durations by route pattern, method and
 * status, and the database pool. Apps add their own metrics to `registry`.
 */
export class AppMetrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.requestDuration = new Histogram({
      name: 'consentry_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer being written, by route pattern, method and status.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
  }

  /** Records one answered request. `route` is a pattern (never a URL); unknown methods count as OTHER. */
  observeRequest(method: string | undefined, route: string | undefined, statusCode: number, seconds: number): void {
    const upper = (method ?? '').toUpperCase();
    this.requestDuration.observe(
      { method: METHODS.has(upper) ? upper : 'OTHER', route: route ?? UNMATCHED_ROUTE, status_code: String(statusCode) },
      seconds,
    );
  }

  /** Gauges of the data source's connection pool, read at scrape time. */
  watchDatabasePool(dataSource: PooledDataSource): void {
    const pool = () => (dataSource.driver as { master?: PgPool }).master;
    new Gauge({
      name: 'consentry_db_pool_connections',
      help: 'PostgreSQL connections of this process by state: open in total, idle, and requests waiting for one.',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const current = pool();
        this.reset();
        if (!current) return;
        this.set({ state: 'total' }, current.totalCount);
        this.set({ state: 'idle' }, current.idleCount);
        this.set({ state: 'waiting' }, current.waitingCount);
      },
    });
    new Gauge({
      name: 'consentry_db_pool_max_connections',
      help: 'The most PostgreSQL connections the pool of this process may open.',
      registers: [this.registry],
      collect() {
        const max = pool()?.options?.max;
        if (typeof max === 'number') this.set(max);
      },
    });
  }

  /** A counter in this registry. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A histogram in this registry, with its buckets' upper bounds (in the metric's unit). */
  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] });
  }

  /** A gauge in this registry; `collect` (optional) sets its value at scrape time. */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], collect?: (gauge: Gauge<L>) => void | Promise<void>): Gauge<L> {
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      ...(collect
        ? {
            async collect(this: Gauge<L>) {
              await collect(this);
            },
          }
        : {}),
    });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
