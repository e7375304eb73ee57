import type { AuditEvent } from './audit-event.js';

/** The BullMQ queue between the outbox relay and the chain writer. */
export const AUDIT_QUEUE = 'audit-events';

/** A batch job: outbox rows the relay moved, to be chained in order. */
export const AUDIT_BATCH_JOB = 'chain-batch';

/**
 * A batch job's data. The relay sends the event ids of the outbox rows it claimed, in the order they
 * were recorded; the events stay in the outbox, which the chain writer reads them from. A job carrying
 * whole events (from relays of earlier releases, or a batch re-added by hand) is chained as well.
 */
export type AuditBatchJobData = { eventIds: string[] } | { events: AuditEvent[] };
