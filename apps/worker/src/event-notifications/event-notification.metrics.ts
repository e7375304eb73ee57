import { AppMetrics } from '@consentry/observability';
import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';

/** Event notification metrics in the worker's registry (AppMetrics), listed in docs/monitoring.md. */
@Injectable()
export class EventNotificationMetrics {
  private readonly produced: Counter<never>;
  private readonly deliveries: Counter<'result'>;
  private readonly dropped: Counter<never>;
  private readonly lag: Histogram<never>;

  constructor(app: AppMetrics) {
    this.produced = app.counter('consentry_events_produced_total', 'TPP event notifications produced from the audit log.', []);
    this.deliveries = app.counter(
      'consentry_event_deliveries_total',
      'Deliveries to TPP callbacks, by outcome: delivered (202), failed (retried), abandoned (past the delivery window).',
      ['result'],
    );
    this.dropped = app.counter('consentry_events_dropped_total', 'Events neither delivered nor acknowledged within the retention, dropped.', []);
    this.lag = new Histogram({
      name: 'consentry_event_delivery_lag_seconds',
      help: 'From the change (the audit entry\'s time) to the callback\'s 202.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86_400],
      registers: [app.registry],
    });
    for (const result of ['delivered', 'failed', 'abandoned']) this.deliveries.inc({ result }, 0);
  }

  recordProduced(count: number): void {
    this.produced.inc(count);
  }

  recordDelivered(occurredAt: Date): void {
    this.deliveries.inc({ result: 'delivered' });
    this.lag.observe(Math.max(0, (Date.now() - occurredAt.getTime()) / 1000));
  }

  recordFailed(): void {
    this.deliveries.inc({ result: 'failed' });
  }

  recordAbandoned(): void {
    this.deliveries.inc({ result: 'abandoned' });
  }

  recordDropped(count: number): void {
    this.dropped.inc(count);
  }
}
