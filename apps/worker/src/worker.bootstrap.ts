import type { WorkerConfig } from '@consentry/config';
import { connectDatabase, connectRedis, DataSource } from '@consentry/database';
import { createAppLogger, createNestLogger, DrainState } from '@consentry/observability';
import { INestApplicationContext, Logger } from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';

import { AuditCheckpointWriter } from './audit/audit-checkpoint.writer.js';
import { AuditOutboxRelay } from './audit/audit-outbox.relay.js';
import { AuditOutboxSweeper } from './audit/audit-outbox.sweeper.js';
import { AuditProcessor } from './audit/audit.processor.js';
import { ConsentExpiryProcessor } from './expiry/consent-expiry.processor.js';
import { ConsentExpiryScheduler } from './expiry/consent-expiry.scheduler.js';
import { EventDeliveryProcessor } from './event-notifications/event-delivery.processor.js';
import { EventProductionProcessor } from './event-notifications/event-production.processor.js';
import { EventProductionScheduler } from './event-notifications/event-production.scheduler.js';
import { HealthHttpServer } from './health/health-http.server.js';
import { checkRedisPersistence } from './health/redis-persistence.check.js';
import { AuditRetentionProcessor } from './retention/audit-retention.processor.js';
import { ScheduledPaymentProcessor } from './scheduled-payments/scheduled-payment.processor.js';
import { ReviewExpiryProcessor } from './payment-reviews/review-expiry.processor.js';
import type { WorkerClock } from './worker.tokens.js';
import { PaymentSettlementProcessor } from './settlement/payment-settlement.processor.js';
import { PsuAlertsProcessor } from './alerts/psu-alerts.processor.js';
import { WorkerModule } from './worker.module.js';

export interface RunningWorker {
  /** The port /health and /metrics are served on (the bound one when the config asked for 0). */
  port: number;
  /** The worker's root logger (JSON or pretty lines on stdout, as LOG_FORMAT says). */
  logger: Pino;
  /** Shutdown's first step: readiness 503 while the jobs keep running. */
  beginDrain(): void;
  /** Stops relaying, lets the batch in progress commit, then closes the HTTP server and connections. */
  close(): Promise<void>;
}

async function closeQuietly(close: () => Promise<unknown>): Promise<void> {
  try {
    await close();
  } catch {
    // Shutting down: a connection that is already gone is as closed as it gets.
  }
}

/** QUIT when Redis answers; otherwise drop the socket, since a queued QUIT would wait for Redis to return. */
async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await closeQuietly(() => redis.quit());
}

/**
 * Starts the worker in this process: connects, relays the audit outbox, chains audit batches and
 * serves /health and /metrics. `main.ts` calls it; so can a test that runs every app in one process.
 */
/** What a test may set: the clock of the jobs that run things on their date (scheduled payments). */
export interface StartWorkerOptions {
  clock?: WorkerClock;
}

export async function startWorker(config: WorkerConfig, options: StartWorkerOptions = {}): Promise<RunningWorker> {
  let dataSource: DataSource | undefined;
  let consumerRedis: Redis | undefined;
  let producerRedis: Redis | undefined;
  let app: INestApplicationContext | undefined;

  const closeAll = async () => {
    if (app) await app.close();
    if (dataSource?.isInitialized) await closeQuietly(() => dataSource!.destroy());
    if (consumerRedis) await closeRedis(consumerRedis);
    if (producerRedis) await closeRedis(producerRedis);
  };

  try {
    dataSource = await connectDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize, applicationName: 'consentry-worker' });
    consumerRedis = await connectRedis(config);
    producerRedis = await connectRedis(config, {
      enableOfflineQueue: false,
      commandTimeout: 5_000,
      maxRetriesPerRequest: 1,
    });
    const rootLogger = createAppLogger({ app: 'worker', level: config.logLevel, format: config.logFormat });
    app = await NestFactory.createApplicationContext(
      WorkerModule.register(config, { dataSource, consumerRedis, producerRedis, clock: options.clock }),
      {
        logger: createNestLogger(rootLogger),
        abortOnError: false,
      },
    );
    const logger = new Logger('Worker');
    const redisWarning = await checkRedisPersistence(producerRedis);
    if (redisWarning) logger.warn(redisWarning);
    // Started here rather than in lifecycle hooks, so a failure part way is cleaned up by closeAll.
    await app.get(AuditCheckpointWriter).start();
    await app.get(AuditProcessor).start();
    await app.get(ConsentExpiryProcessor).start();
    await app.get(ConsentExpiryScheduler).schedule();
    await app.get(AuditRetentionProcessor).start();
    await app.get(PaymentSettlementProcessor).start();
    await app.get(ScheduledPaymentProcessor).start();
    await app.get(EventProductionProcessor).start();
    await app.get(EventDeliveryProcessor).start();
    await app.get(EventProductionScheduler).schedule();
    await app.get(PsuAlertsProcessor).start();
    await app.get(ReviewExpiryProcessor).start();
    app.get(AuditOutboxRelay).start();
    app.get(AuditOutboxSweeper).start();
    const port = await app.get(HealthHttpServer).listen(config.port);
    logger.log(`worker started: /health/live, /health/ready and /metrics on port ${port}, queue prefix "${config.redisPrefix}"`);

    let closing: Promise<void> | undefined;
    return {
      port,
      logger: rootLogger,
      beginDrain: () => app!.get(DrainState).begin(),
      close: () => (closing ??= closeAll()),
    };
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
}
