import { psuAlertChannel } from '@consentry/alerts';
import type { WorkerConfig } from '@consentry/config';
import { DataSource } from '@consentry/database';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createTransport, Transporter } from 'nodemailer';

import { AuditChainedSignal } from '../audit/audit-chained.signal.js';
import { CONSUMER_REDIS, PRODUCER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';
import { AlertEmailOutcome, sendAlertEmail } from './psu-alert-email.js';
import { AlertTailResult, tailAuditLogForAlerts } from './psu-alert-tail.js';
import {
  ALERT_EMAIL_JOB,
  ALERT_EMAIL_JOB_OPTIONS,
  ALERT_EMAIL_QUEUE,
  AlertEmailJobData,
  ALERT_TAIL_JOB,
  ALERT_TAIL_JOB_OPTIONS,
  ALERT_TAIL_QUEUE,
  ALERT_TAIL_SCHEDULER_ID,
} from './psu-alerts.jobs.js';

/** Full batches run back to back within one job, up to this many, before the next tick. */
const MAX_BATCHES_PER_RUN = 20;

/**
 * PSU alerts: a repeatable job tails audit_log by seq (tailAuditLogForAlerts), publishes each new
 * alert on the Redis channel the dashboards listen to, and enqueues one email job per alert (job id =
 * alert id) for PSUs who chose email. Email runs in its own queue with exponential backoff: a mail
 * server outage delays emails and nothing else (payments never wait for an alert).
 */
@Injectable()
export class PsuAlertsProcessor implements OnModuleDestroy {
  private readonly logger = new Logger(PsuAlertsProcessor.name);
  private tailQueue?: Queue;
  private emailQueue?: Queue<AlertEmailJobData>;
  private tailWorker?: Worker;
  private emailWorker?: Worker<AlertEmailJobData, AlertEmailOutcome>;
  private connections: Redis[] = [];
  private transport?: Transporter;
  private closing = false;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly dataSource: DataSource,
    @Inject(CONSUMER_REDIS) private readonly consumerRedis: Redis,
    @Inject(PRODUCER_REDIS) private readonly producerRedis: Redis,
    private readonly chainedSignal: AuditChainedSignal,
  ) {}

  async start(): Promise<void> {
    const prefix = this.config.redisPrefix;
    this.tailQueue = new Queue(ALERT_TAIL_QUEUE, { connection: this.producerRedis, prefix });
    this.tailQueue.on('error', () => undefined);
    this.emailQueue = new Queue<AlertEmailJobData>(ALERT_EMAIL_QUEUE, { connection: this.producerRedis, prefix });
    this.emailQueue.on('error', () => undefined);
    await this.tailQueue.upsertJobScheduler(ALERT_TAIL_SCHEDULER_ID, { every: this.config.alerts.intervalMs }, { name: ALERT_TAIL_JOB, opts: ALERT_TAIL_JOB_OPTIONS });
    // A tail as soon as entries are chained (a job per chained batch: one queued while a tail runs is not
    // lost); the interval is the fallback.
    const tailQueue = this.tailQueue;
    this.chainedSignal.follow(async (lastSeq) => !this.closing && tailQueue.add(ALERT_TAIL_JOB, {}, { ...ALERT_TAIL_JOB_OPTIONS, jobId: `chained-${lastSeq}` }));
    this.tailWorker = new Worker(ALERT_TAIL_QUEUE, (job) => this.tail(job), { connection: this.connection(), prefix, concurrency: 1 });
    this.tailWorker.on('error', () => undefined);
    if (this.config.alerts.emailEnabled && this.config.alerts.smtpUrl) {
      this.transport = createTransport(this.config.alerts.smtpUrl);
      this.emailWorker = new Worker<AlertEmailJobData, AlertEmailOutcome>(ALERT_EMAIL_QUEUE, (job) => this.email(job), { connection: this.connection(), prefix, concurrency: 4 });
      this.emailWorker.on('error', () => undefined);
      await this.emailWorker.waitUntilReady();
    }
    await this.tailWorker.waitUntilReady();
  }

  private connection(): Redis {
    const connection = this.consumerRedis.duplicate();
    connection.on('error', () => undefined);
    this.connections.push(connection);
    return connection;
  }

  async tail(job: Job): Promise<{ recorded: number; cursor: string }> {
    let recorded = 0;
    let result: AlertTailResult | undefined;
    try {
      for (let batch = 0; batch < MAX_BATCHES_PER_RUN && (result === undefined || result.full); batch++) {
        result = await tailAuditLogForAlerts(this.dataSource, this.config.alerts.batchSize, (toEmail) => this.enqueueEmails(toEmail));
        recorded += result.recorded.length;
        if (result.toPublish.length > 0) {
          // One round trip for the batch. Best effort: a dashboard that misses the live message still lists the alert.
          const publishing = this.producerRedis.pipeline();
          for (const alert of result.toPublish) publishing.publish(psuAlertChannel(this.config.redisPrefix), JSON.stringify(alert));
          await publishing.exec().catch(() => null);
        }
      }
      if (recorded > 0) this.logger.log('alerts recorded', { jobId: job.id, recorded, cursor: result?.cursor });
      return { recorded, cursor: result?.cursor ?? '0' };
    } catch (error) {
      this.logger.error('alert tail failed', { jobId: job.id, error: (error as Error).message });
      throw error;
    }
  }

  private async enqueueEmails(alertIds: string[]): Promise<void> {
    if (!this.emailQueue || !this.config.alerts.emailEnabled || alertIds.length === 0) return;
    await this.emailQueue.addBulk(alertIds.map((alertId) => ({ name: ALERT_EMAIL_JOB, data: { alertId }, opts: { ...ALERT_EMAIL_JOB_OPTIONS, backoff: { type: 'exponential', delay: this.config.alerts.emailBackoffMs }, jobId: alertId } })));
  }

  async email(job: Job<AlertEmailJobData>): Promise<AlertEmailOutcome> {
    this.logger.log('alert email started', { jobId: job.id, attempt: job.attemptsMade + 1 });
    try {
      const outcome = await sendAlertEmail(this.dataSource, this.transport!, this.config.alerts.emailFrom, job.data.alertId);
      this.logger.log('alert email finished', { jobId: job.id, outcome });
      return outcome;
    } catch (error) {
      // An AlertEmailRefusedError: what failed, never the server's reply (it may repeat the address).
      this.logger.warn('alert email failed, will retry', { jobId: job.id, attempt: job.attemptsMade + 1, error: (error as Error).message });
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    await this.tailWorker?.close(this.consumerRedis.status !== 'ready');
    await this.emailWorker?.close(this.consumerRedis.status !== 'ready');
    await this.tailQueue?.close();
    await this.emailQueue?.close();
    this.transport?.close();
    for (const connection of this.connections) connection.disconnect();
  }
}
