import { describe, expect, it } from 'vitest';

import { WorkerMetrics } from './worker.metrics.js';

describe('WorkerMetrics', () => {
  it('renders counters and gauges in the Prometheus text format', () => {
    const metrics = new WorkerMetrics();
    metrics.recordRelayBatch(3);
    metrics.recordChainBatch({ chained: 2, duplicates: 1 });
    metrics.recordChainBatchFailure();
    metrics.recordRelayError();
    const text = metrics.render({ outboxPending: 4, databaseUp: true, redisUp: false });

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
    expect(text.endsWith('\n')).toBe(true);
  });

  it('leaves out the outbox gauge when the database could not be read', () => {
    const text = new WorkerMetrics().render({ outboxPending: null, databaseUp: false, redisUp: true });
    expect(text).toContain('# TYPE consentry_audit_outbox_pending gauge\n# HELP');
    expect(text).not.toMatch(/^consentry_audit_outbox_pending /m);
  });
});
