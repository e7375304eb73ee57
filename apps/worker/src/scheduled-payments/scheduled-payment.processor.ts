import { AggregatedBank } from '@consentry/banking';
import type { WorkerConfig } from '@consentry/config';
import { executeDueScheduledPayments, executeDueStandingOrderRuns, PaymentApprovalSeal, redriveStrandedPayments, ScheduledExecutionResult, UnreachableBanks } from '@consentry/consents';
import { DataSource } from '@consentry/database';
import { PaymentRiskEngine } from '@consentry/risk';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Job, JobsOptions, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { CONSUMER_REDIS, PRODUCER_REDIS, WORKER_CLOCK, WORKER_CONFIG } from '../worker.tokens.js';
import type { WorkerClock } from '../worker.tokens.js';

/** One repeatable job runs every due scheduled payment and re-drives the stranded ones; never one job per payment. */
export const SCHEDULED_PAYMENT_QUEUE = 'scheduled-payments';
const SCHEDULER_ID = 'scheduled-payment-sweep';
const JOB = 'run-due-scheduled-payments';
/** Each run takes whatever is due, the next what it missed: no retries, little history. */
const JOB_OPTIONS: JobsOptions = { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 1_000 } };

/**
 * Runs domestic scheduled payments on their date and standing orders' runs on theirs, and asks the bank
 * again for immediate payments and VRPs whose outcome never came back (redriveStrandedPayments, after
 * PAYMENT_REDRIVE_AFTER_SECONDS), as a BullMQ job scheduler shared by every worker
 * (one run at a time here; across workers each order is locked while it runs). "Now" comes from the
 * injected clock (WORKER_CLOCK), so a test runs a payment's date without waiting for it.
 */
@Injectable()
export class ScheduledPaymentProcessor implements OnModuleDestroy {
  private readonly logger = new Logger(ScheduledPaymentProcessor.name);
  private readonly queue: Queue;
  private worker?: Worker<unknown, ScheduledExecutionResult>;
  private connection?: Redis;
  // Each order is paid only while its PSU's approval still holds (SECRETS_KEYS, as the API and the auth server seal and check it).
  private readonly approvals: PaymentApprovalSeal;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(CONSUMER_REDIS) private readonly redis: Redis,
    @Inject(PRODUCER_REDIS) producer: Redis,
    private readonly dataSource: DataSource,
    private readonly bank: AggregatedBank,
    private readonly risk: PaymentRiskEngine,
    @Inject(WORKER_CLOCK) private readonly clock: WorkerClock,
  ) {
    this.approvals = new PaymentApprovalSeal(config.secretsKeys);
    this.queue = new Queue(SCHEDULED_PAYMENT_QUEUE, { connection: producer, prefix: config.redisPrefix });
    this.queue.on('error', () => undefined);
  }

  async start(): Promise<void> {
    this.connection = this.redis.duplicate();
    this.connection.on('error', () => undefined);
    this.worker = new Worker<unknown, ScheduledExecutionResult>(SCHEDULED_PAYMENT_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.config.redisPrefix,
      concurrency: 1,
    });
    this.worker.on('error', () => undefined); // the audit processor already reports Redis outages
    await this.worker.waitUntilReady();
    await this.queue.upsertJobScheduler(SCHEDULER_ID, { every: this.config.scheduledPaymentIntervalMs }, { name: JOB, opts: JOB_OPTIONS });
  }

  async process(job: Job<unknown, ScheduledExecutionResult>): Promise<ScheduledExecutionResult> {
    const context = { jobId: job.id };
    try {
      const now = this.clock();
      // One bank found down is asked once in the whole run, whichever of the three finds it.
      const unreachable = new UnreachableBanks();
      const options = { approvals: this.approvals, risk: this.risk, unreachable };
      const scheduled = await executeDueScheduledPayments(this.dataSource, this.bank, now, options);
      const standing = await executeDueStandingOrderRuns(this.dataSource, this.bank, now, options);
      const stranded = await redriveStrandedPayments(this.dataSource, this.bank, now, {
        approvals: this.approvals,
        afterSeconds: this.config.paymentRedriveAfterSeconds,
        maxAgeHours: this.config.paymentRedriveMaxAgeHours,
        unreachable,
      });
      const result = {
        executed: scheduled.executed + standing.executed + stranded.executed,
        deferred: scheduled.deferred + standing.deferred + stranded.deferred,
      };
      if (result.executed + result.deferred > 0) this.logger.log('scheduled payments run', { ...context, ...result });
      return result;
    } catch (error) {
      this.logger.error('scheduled payments run failed', { ...context, error: (error as Error).message });
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close(this.redis.status !== 'ready');
    this.connection?.disconnect();
    await this.queue.close();
  }
}
