import { AppMetrics } from '@consentry/observability';
import { describe, expect, it } from 'vitest';

import { WorkerMetrics } from './worker.metrics.js';

describe('WorkerMetrics', () => {
  it('renders its counters and scrape-time gauges in the app registry, in the Prometheus text format', async () => {
    const app = new AppMetrics();
    const metrics = new WorkerMetrics(app);
    metrics.watch(async () => ({ outboxPending: 4, databaseUp: true, redisUp: false }));
    metrics.recordRelayBatch(3);
    metrics.recordChainBatch({ chained: 2, duplicates: 1 });
    metrics.recordChainBatchFailure();
    metrics.recordRelayError();
    const { body: text } = await app.render();

    expect(text).toContain(
      '# HELP consentry_audit_outbox_pending Audit events committed to the outbox and not yet relayed to the queue.\n' +
        '# TYPE consentry_audit_outbox_pending gauge\nconsentry_audit_outbox_pending 4\n',
    );
    expect(text).toContain('\nconsentry_audit_events_relayed_total 3\n');
    expect(text).toContain('\nconsentry_audit_events_chained_total 2\n');
    expect(text).toContain('\nconsentry_audit_duplicates_skipped_total 1\n');
    expect(text).toContain('\nconsentry_audit_chain_batches_total{result="completed"} 1\n');
    expect(text).toContain('\nconsentry_audit_chain_batches_total{result="failed"} 1\n');
    expect(text).toContain('\nconsentry_audit_relay_errors_total 1\n');
    expect(text).toContain('\nconsentry_worker_database_up 1\n');
    expect(text).toContain('\nconsentry_worker_redis_up 0\n');
    // The same registry holds the process metrics every app has.
    expect(text).toContain('\nprocess_cpu_user_seconds_total ');
    expect(await metrics.render()).toContain('\nconsentry_audit_events_relayed_total 3\n');
  });

  it('reports the outbox gauge as NaN (unknown) when the database could not be read', async () => {
    const app = new AppMetrics();
    new WorkerMetrics(app).watch(async () => ({ outboxPending: null, databaseUp: false, redisUp: true }));
    const { body: text } = await app.render();
    expect(text).toContain('# TYPE consentry_audit_outbox_pending gauge\n');
    expect(text).toContain('\nconsentry_audit_outbox_pending Nan\n');
    expect(text).toContain('\nconsentry_worker_database_up 0\n');
  });
});
