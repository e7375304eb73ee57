import { Injectable } from '@nestjs/common';

/** Values read at scrape time rather than counted. `null` when the source could not be read. */
export interface WorkerGauges {
  outboxPending: number | null;
  databaseUp: boolean;
  redisUp: boolean;
}

interface Sample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: { labels?: Record<string, string>; value: number }[];
}

function formatLabels(labels: Record<string, string> | undefined): string {
  if (labels === undefined) return '';
  const pairs = Object.entries(labels).map(
    ([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return `{${pairs.join(',')}}`;
}

/**
 * The worker's counters, rendered in the Prometheus text exposition format (0.0.4). Counters are per
 * process; Prometheus sums them across replicas.
 */
@Injectable()
export class WorkerMetrics {
  private eventsRelayed = 0;
  private relayBatches = 0;
  private relayErrors = 0;
  private eventsChained = 0;
  private duplicatesSkipped = 0;
  private chainBatchesCompleted = 0;
  private chainBatchesFailed = 0;
  private eventsReRelayed = 0;
  private checkpointsSigned = 0;
  private consentsExpired = 0;

  recordRelayBatch(events: number): void {
    this.relayBatches += 1;
    this.eventsRelayed += events;
  }

  recordRelayError(): void {
    this.relayErrors += 1;
  }

  recordChainBatch(result: { chained: number; duplicates: number }): void {
    this.chainBatchesCompleted += 1;
    this.eventsChained += result.chained;
    this.duplicatesSkipped += result.duplicates;
  }

  recordChainBatchFailure(): void {
    this.chainBatchesFailed += 1;
  }

  recordReRelayed(events: number): void {
    this.eventsReRelayed += events;
  }

  recordCheckpoint(): void {
    this.checkpointsSigned += 1;
  }

  recordConsentsExpired(consents: number): void {
    this.consentsExpired += consents;
  }

  render(gauges: WorkerGauges): string {
    const samples: Sample[] = [
      {
        name: 'consentry_audit_outbox_pending',
        help: 'Audit events committed to the outbox and not yet relayed to the queue.',
        type: 'gauge',
        values: gauges.outboxPending === null ? [] : [{ value: gauges.outboxPending }],
      },
      {
        name: 'consentry_audit_events_relayed_total',
        help: 'Audit events moved from the outbox to the queue by this process.',
        type: 'counter',
        values: [{ value: this.eventsRelayed }],
      },
      {
        name: 'consentry_audit_relay_batches_total',
        help: 'Batches the outbox relay added to the queue.',
        type: 'counter',
        values: [{ value: this.relayBatches }],
      },
      {
        name: 'consentry_audit_relay_errors_total',
        help: 'Outbox relay polls that failed (database or Redis unavailable); the events stay pending.',
        type: 'counter',
        values: [{ value: this.relayErrors }],
      },
      {
        name: 'consentry_audit_events_chained_total',
        help: 'Audit events appended to the hash-chained log by this process.',
        type: 'counter',
        values: [{ value: this.eventsChained }],
      },
      {
        name: 'consentry_audit_duplicates_skipped_total',
        help: 'Delivered audit events already in the log, skipped by the chain writer.',
        type: 'counter',
        values: [{ value: this.duplicatesSkipped }],
      },
      {
        name: 'consentry_audit_chain_batches_total',
        help: 'Chain writer batches, by outcome; failed batches are retried.',
        type: 'counter',
        values: [
          { labels: { result: 'completed' }, value: this.chainBatchesCompleted },
          { labels: { result: 'failed' }, value: this.chainBatchesFailed },
        ],
      },
      {
        name: 'consentry_audit_events_rerelayed_total',
        help: 'Relayed audit events never chained within the grace period (the queue lost them), relayed again.',
        type: 'counter',
        values: [{ value: this.eventsReRelayed }],
      },
      {
        name: 'consentry_audit_checkpoints_signed_total',
        help: 'Signed checkpoints of the chain head written by this process.',
        type: 'counter',
        values: [{ value: this.checkpointsSigned }],
      },
      {
        name: 'consentry_consents_expired_total',
        help: 'Consents expired by the sweeps this process ran.',
        type: 'counter',
        values: [{ value: this.consentsExpired }],
      },
      {
        name: 'consentry_worker_database_up',
        help: 'Whether PostgreSQL answered the last check (1) or not (0).',
        type: 'gauge',
        values: [{ value: gauges.databaseUp ? 1 : 0 }],
      },
      {
        name: 'consentry_worker_redis_up',
        help: 'Whether Redis answered the last check (1) or not (0).',
        type: 'gauge',
        values: [{ value: gauges.redisUp ? 1 : 0 }],
      },
    ];
    const lines: string[] = [];
    for (const sample of samples) {
      lines.push(`# HELP ${sample.name} ${sample.help}`, `# TYPE ${sample.name} ${sample.type}`);
      for (const { labels, value } of sample.values) lines.push(`${sample.name}${formatLabels(labels)} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
