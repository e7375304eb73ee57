/** The BullMQ queue between the outbox relay and the chain writer. */
export const AUDIT_QUEUE = 'audit-events';

/** A batch job: the outbox rows the relay moved, by event id. */
export const AUDIT_BATCH_JOB = 'chain-batch';

export interface AuditBatchJobData {
  events: import('./audit-event.js').AuditEvent[];
}
