import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

import { clientAddress, StartupError, trustedProxyPredicate, type WorkerConfig } from '@consentry/config';
import { DataSource } from '@consentry/database';
import { AppMetrics, checkReadiness, DrainState, HEALTH_LIVE_PATH, HEALTH_READY_PATH, METRICS_PATH, operationsAnswerer, OperationsAnswer } from '@consentry/observability';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';

import { PRODUCER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';
import { WorkerHealthService } from './worker-health.service.js';

// The status summary kept from before /health/live and /health/ready (scripts and monitors poll it).
const HEALTH_PATH = '/health';
const PATHS = new Set([HEALTH_PATH, HEALTH_LIVE_PATH, HEALTH_READY_PATH, METRICS_PATH]);

/**
 * The worker's only HTTP surface: `GET /health/live`, `/health/ready`, `/health` and `/metrics`. A bare
 * node:http server, because a few read-only routes do not need a web framework in a process whose job
 * is the queue.
 */
@Injectable()
export class HealthHttpServer implements OnModuleDestroy {
  private readonly logger = new Logger(HealthHttpServer.name);
  private readonly server: Server;
  private readonly answer: (path: string, clientAddress: string) => Promise<OperationsAnswer | undefined>;
  private readonly trustedProxy: ((address: string, hop: number) => boolean) | undefined;

  constructor(
    private readonly health: WorkerHealthService,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    dataSource: DataSource,
    @Inject(PRODUCER_REDIS) redis: Redis,
    metrics: AppMetrics,
    drain: DrainState,
  ) {
    this.trustedProxy = trustedProxyPredicate(config.trustProxy);
    this.answer = operationsAnswerer({
      // One registry: the worker's own metrics (WorkerMetrics), the queues', the pool's and the process's.
      metrics,
      readiness: () => checkReadiness(dataSource, redis, drain),
      metricsAllowedCidrs: config.metricsAllowedCidrs,
    });
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.logger.error(`${request.method} ${request.url} failed: ${(error as Error).message}`);
        if (!response.headersSent) this.send(response, 500, 'application/json', JSON.stringify({ error: 'internal_error' }));
        else response.destroy();
      });
    });
    drain.watch(this.server);
    // Scrapers and probes open short connections; do not let an idle one hold shutdown up.
    this.server.keepAliveTimeout = 5_000;
  }

  /** The bound port; meaningful after `listen`. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'EADDRINUSE'
            ? new StartupError(`port ${port} is already in use: stop what holds it or set WORKER_PORT`)
            : error,
        );
      };
      this.server.once('error', onError);
      this.server.listen(port, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    return this.port;
  }

  async onModuleDestroy(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://worker').pathname;
    if (!PATHS.has(path)) {
      this.send(response, 404, 'application/json', JSON.stringify({ error: 'not_found' }));
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      this.send(response, 405, 'application/json', JSON.stringify({ error: 'method_not_allowed' }));
      return;
    }
    if (path === HEALTH_PATH) {
      const health = await this.health.check();
      // 503 while degraded, so a readiness probe or monitor notices without parsing the body.
      this.send(response, health.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(health));
      return;
    }
    const client = clientAddress(request.socket.remoteAddress ?? '', request.headers['x-forwarded-for'], this.trustedProxy);
    const answer = (await this.answer(path, client))!;
    this.send(response, answer.status, answer.contentType, answer.body);
  }

  private send(response: ServerResponse, status: number, contentType: string, body: string): void {
    response.writeHead(status, {
      'Content-Type': contentType.includes('charset') ? contentType : `${contentType}; charset=utf-8`,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    response.end(response.req.method === 'HEAD' ? undefined : body);
  }
}
