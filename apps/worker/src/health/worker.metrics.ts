import { AppMetrics } from '@consentry/observability';
import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';

/** Values read at scrape time rather than counted. `null` when the source could not be read. */
export interface WorkerGauges {
  outboxPending: number | null;
  databaseUp: boolean;
  redisUp: boolean;
}

const SCRAPE_READ_REUSE_MS = 1_000;

/**
 * The worker's own metrics, in the app's Prometheus registry (AppMetrics, as the api and the auth server
 * have): counters per process (Prometheus sums them across replicas), and gauges read at scrape time
 * from `watch`'s source. The names are listed in docs/operations.md.
 */
@Injectable()
export class WorkerMetrics {
  private readonly eventsRelayed: Counter<never>;
  private readonly relayBatches: Counter<never>;
  private readonly relayErrors: Counter<never>;
  private readonly eventsChained: Counter<never>;
  private readonly duplicatesSkipped: Counter<never>;
  private readonly chainBatches: Counter<'result'>;
  private readonly eventsReRelayed: Counter<never>;
  private readonly checkpointsSigned: Counter<never>;
  private readonly checkpointConflicts: Counter<never>;
  private readonly consentsExpired: Counter<never>;
  private source: () => Promise<WorkerGauges> = async () => ({ outboxPending: null, databaseUp: false, redisUp: false });
  // One read of the source per scrape, shared by the three gauges (a scrape reads them within this time).
  private reading?: { at: number; gauges: Promise<WorkerGauges> };

  constructor(readonly app: AppMetrics = new AppMetrics()) {
    this.eventsRelayed = app.counter('consentry_audit_events_relayed_total', 'Audit events moved from the outbox to the queue by this process.', []);
    this.relayBatches = app.counter('consentry_audit_relay_batches_total', 'Batches the outbox relay added to the queue.', []);
    this.relayErrors = app.counter('consentry_audit_relay_errors_total', 'Outbox relay polls that failed (database or Redis unavailable); the events stay pending.', []);
    this.eventsChained = app.counter('consentry_audit_events_chained_total', 'Audit events appended to the hash-chained log by this process.', []);
    this.duplicatesSkipped = app.counter('consentry_audit_duplicates_skipped_total', 'Delivered audit events already in the log, skipped by the chain writer.', []);
    this.chainBatches = app.counter('consentry_audit_chain_batches_total', 'Chain writer batches, by outcome; failed batches are retried.', ['result']);
    this.eventsReRelayed = app.counter(
      'consentry_audit_events_rerelayed_total',
      'Relayed audit events never chained within the grace period (the queue lost them), relayed again.',
      [],
    );
    this.checkpointsSigned = app.counter('consentry_audit_checkpoints_signed_total', 'Signed checkpoints of the chain head written by this process.', []);
    this.checkpointConflicts = app.counter(
      'consentry_audit_checkpoint_conflicts_total',
      'Heads whose entry no longer has the hash an existing signed checkpoint names: the log changed after it was signed.',
      [],
    );
    this.consentsExpired = app.counter('consentry_consents_expired_total', 'Consents expired by the sweeps this process ran.', []);
    // Both outcomes are present from the start, so a rate over them is defined before the first failure.
    this.chainBatches.inc({ result: 'completed' }, 0);
    this.chainBatches.inc({ result: 'failed' }, 0);
    app.gauge('consentry_audit_outbox_pending', 'Audit events committed to the outbox and not yet relayed to the queue.', [], async (gauge) => {
      // NaN (unknown) while the database cannot be read: 0 would say "nothing pending".
      const { outboxPending } = await this.read();
      gauge.set(outboxPending ?? Number.NaN);
    });
    app.gauge('consentry_worker_database_up', 'Whether PostgreSQL answered the last check (1) or not (0).', [], async (gauge) => gauge.set((await this.read()).databaseUp ? 1 : 0));
    app.gauge('consentry_worker_redis_up', 'Whether Redis answered the last check (1) or not (0).', [], async (gauge) => gauge.set((await this.read()).redisUp ? 1 : 0));
  }

  /** Where the scrape-time gauges come from (the health service's live checks). */
  watch(source: () => Promise<WorkerGauges>): void {
    this.source = source;
  }

  private read(): Promise<WorkerGauges> {
    const now = Date.now();
    if (!this.reading || now - this.reading.at > SCRAPE_READ_REUSE_MS) this.reading = { at: now, gauges: this.source() };
    return this.reading.gauges;
  }

  recordRelayBatch(events: number): void {
    this.relayBatches.inc();
    this.eventsRelayed.inc(events);
  }

  recordRelayError(): void {
    this.relayErrors.inc();
  }

  recordChainBatch(result: { chained: number; duplicates: number }): void {
    this.chainBatches.inc({ result: 'completed' });
    this.eventsChained.inc(result.chained);
    this.duplicatesSkipped.inc(result.duplicates);
  }

  recordChainBatchFailure(): void {
    this.chainBatches.inc({ result: 'failed' });
  }

  recordReRelayed(events: number): void {
    this.eventsReRelayed.inc(events);
  }

  recordCheckpoint(): void {
    this.checkpointsSigned.inc();
  }

  recordCheckpointConflict(): void {
    this.checkpointConflicts.inc();
  }

  recordConsentsExpired(consents: number): void {
    this.consentsExpired.inc(consents);
  }

  /** The exposition text of the app's whole registry (these metrics, the queues', the pool's, the process's). */
  async render(): Promise<string> {
    return (await this.app.render()).body;
  }
}
