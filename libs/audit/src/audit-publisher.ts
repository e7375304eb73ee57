import { randomUUID } from 'node:crypto';

import { AUDIT_OUTBOX_TABLE, EntityManager, queryPreparedIn, WritePart } from '@consentry/database';
import { redactForAudit } from '@consentry/redaction';
import { currentTraceparent } from '@consentry/telemetry';

import { AuditEvent, AuditEventInput } from './audit-event.js';

/** Builds the stored form of an event: identified, timestamped and redacted. */
export function buildAuditEvent(input: AuditEventInput): AuditEvent {
  const { occurredAt, data, eventId, ...identifiers } = input;
  // Identifiers are ours (UUIDs, client ids) and stay searchable; what the act carried is redacted.
  return {
    ...identifiers,
    eventId: eventId ?? randomUUID(),
    occurredAt: (occurredAt ?? new Date()).toISOString(),
    data: redactForAudit(data),
  };
}

// The batch as one JSON array: one native JSON.stringify, where a jsonb[] parameter has node-pg escape
// every event again as an array element. The request's trace context (null when untraced) rides beside
// the event, outside its hashed content, so the worker's chain write joins the request's trace.
/**
 * The outbox insert of a batch: the events as one JSON array in parameter `events`, the trace context in
 * `traceparent`, inserted only `when` that SQL condition holds. A statement that writes a change and its
 * events in one round trip (a data-modifying WITH) embeds it; prepareAuditEvents gives its two values.
 */
export function auditOutboxInsertSql(events: string, traceparent: string, when = 'true'): string {
  return `INSERT INTO ${AUDIT_OUTBOX_TABLE} (event_id, event, traceparent)
  SELECT (e->>'eventId')::uuid, e, ${traceparent}::text FROM jsonb_array_elements(${events}::jsonb) AS e WHERE ${when}`;
}

/** The stored events of a batch, and the two values auditOutboxInsertSql's `events` and `traceparent` take. */
export function prepareAuditEvents(inputs: AuditEventInput[]): { events: AuditEvent[]; values: [string, string | null] } {
  const events = inputs.map(buildAuditEvent);
  return { events, values: [JSON.stringify(events), currentTraceparent()] };
}

const INSERT_OUTBOX_EVENTS = auditOutboxInsertSql('$1', '$2');

/**
 * The events' outbox insert as one write of several made together (writeTogether in libs/database),
 * inserted only `when` that SQL condition holds (it may read an earlier part's RETURNING by its name).
 */
export function auditEventsWrite(inputs: AuditEventInput[], when?: string): WritePart {
  return { sql: when === undefined ? INSERT_OUTBOX_EVENTS : auditOutboxInsertSql('$1', '$2', when), values: prepareAuditEvents(inputs).values };
}

/**
 * Records audit events in the outbox through `manager`, so they commit or roll back with the change
 * they describe (transactional outbox). The worker relays them to the chained log. Outside a
 * transaction (a read's data-access event, say) the insert is its own prepared statement on the pool:
 * it runs on every audited request, and a TypeORM query runner per call costs more than the insert.
 */
export async function recordAuditEvents(manager: EntityManager, inputs: AuditEventInput[]): Promise<AuditEvent[]> {
  if (inputs.length === 0) return [];
  const { events, values: parameters } = prepareAuditEvents(inputs);
  await queryPreparedIn(manager, INSERT_OUTBOX_EVENTS, parameters);
  return events;
}

export async function recordAuditEvent(manager: EntityManager, input: AuditEventInput): Promise<AuditEvent> {
  const [event] = await recordAuditEvents(manager, [input]);
  return event!;
}
