import { AggregatedBank, HttpBankConnector, SandboxLedgerConnector } from '@consentry/banking';
import type { WorkerConfig } from '@consentry/config';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { BankSigningKeys } from '@consentry/message-signing';
import { AuditChainWriter } from '@consentry/audit';
import { DataSource } from '@consentry/database';
import { PaymentRiskEngine } from '@consentry/risk';
import { AppMetrics, DrainState } from '@consentry/observability';
import { DynamicModule, Module } from '@nestjs/common';
import { Redis } from 'ioredis';

import { PsuAlertsProcessor } from './alerts/psu-alerts.processor.js';
import { AuditChainedSignal } from './audit/audit-chained.signal.js';
import { AuditCheckpointWriter } from './audit/audit-checkpoint.writer.js';
import { AuditOutboxRelay } from './audit/audit-outbox.relay.js';
import { AuditOutboxSweeper } from './audit/audit-outbox.sweeper.js';
import { AuditProcessor } from './audit/audit.processor.js';
import { ConsentExpiryProcessor } from './expiry/consent-expiry.processor.js';
import { ConsentExpiryScheduler } from './expiry/consent-expiry.scheduler.js';
import { EventDeliveryProcessor } from './event-notifications/event-delivery.processor.js';
import { EventNotificationMetrics } from './event-notifications/event-notification.metrics.js';
import { EventProductionProcessor } from './event-notifications/event-production.processor.js';
import { EventProductionScheduler } from './event-notifications/event-production.scheduler.js';
import { HealthHttpServer } from './health/health-http.server.js';
import { WorkerHealthService } from './health/worker-health.service.js';
import { QueueMetrics } from './health/queue.metrics.js';
import { WorkerMetrics } from './health/worker.metrics.js';
import { AuditRetentionProcessor } from './retention/audit-retention.processor.js';
import { PaymentSettlementProcessor } from './settlement/payment-settlement.processor.js';
import { ScheduledPaymentProcessor } from './scheduled-payments/scheduled-payment.processor.js';
import { ReviewExpiryProcessor } from './payment-reviews/review-expiry.processor.js';
import { CONSUMER_REDIS, PRODUCER_REDIS, WORKER_CLOCK, WORKER_CONFIG } from './worker.tokens.js';
import type { WorkerClock } from './worker.tokens.js';

/** Connections opened by the bootstrap, which also closes them after the module is destroyed. */
export interface WorkerConnections {
  dataSource: DataSource;
  consumerRedis: Redis;
  producerRedis: Redis;
  /** The clock of jobs that run things on their date; the system clock unless a test sets one. */
  clock?: WorkerClock;
}

@Module({})
export class WorkerModule {
  static register(config: WorkerConfig, connections: WorkerConnections): DynamicModule {
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: DataSource, useValue: connections.dataSource },
        { provide: CONSUMER_REDIS, useValue: connections.consumerRedis },
        { provide: PRODUCER_REDIS, useValue: connections.producerRedis },
        WorkerMetrics,
        {
          provide: AppMetrics,
          useFactory: () => {
            const metrics = new AppMetrics();
            metrics.watchDatabasePool(connections.dataSource);
            return metrics;
          },
        },
        QueueMetrics,
        WorkerHealthService,
        HealthHttpServer,
        DrainState,
        // The audit lib's single chain writer (no Nest in libs/audit): one per process, on the worker's pool.
        { provide: AuditChainWriter, useFactory: () => new AuditChainWriter(connections.dataSource) },
        AuditChainedSignal,
        AuditProcessor,
        AuditOutboxRelay,
        AuditOutboxSweeper,
        AuditCheckpointWriter,
        ConsentExpiryProcessor,
        ConsentExpiryScheduler,
        AuditRetentionProcessor,
        PaymentSettlementProcessor,
        { provide: WORKER_CLOCK, useValue: connections.clock ?? (() => new Date()) },
        // The banks scheduled payments are debited at: the built-in ledger and HTTP_BANK_CONNECTORS, as the API has them.
        {
          provide: AggregatedBank,
          useFactory: () => {
            const keys = new EnvironmentKeyManagement(config.secretsKeys);
            const http = config.httpBankConnectors.map((connector) => new HttpBankConnector(connector));
            return new AggregatedBank(connections.dataSource, [new SandboxLedgerConnector(connections.dataSource, keys), ...http]);
          },
        },
        // Scheduled and standing-order runs are scored before their debit; a bad rules file stops the start.
        { provide: PaymentRiskEngine, useFactory: () => PaymentRiskEngine.load({ rulesFile: config.risk.riskRulesFile, denyListFile: config.risk.riskDenyListFile, denyListRequired: config.risk.riskDenyListRequired }) },
        ScheduledPaymentProcessor,
        // UK OB event notifications, signed with the keys the API signs responses with (production: MESSAGE_SIGNING_JWKS_FILE).
        { provide: BankSigningKeys, useFactory: () => BankSigningKeys.load(config) },
        EventNotificationMetrics,
        EventProductionProcessor,
        EventProductionScheduler,
        EventDeliveryProcessor,
        PsuAlertsProcessor,
        ReviewExpiryProcessor,
      ],
    };
  }
}
