import { contextFromTraceparent, tracer } from '@consentry/telemetry';
import { context, Span, SpanStatusCode, trace } from '@opentelemetry/api';

import type { ChainBatchResult } from './audit-chain-writer.js';

/** An event of a batch with the trace context of the request that recorded it (the outbox's traceparent). */
export interface TracedAuditEvent {
  eventId: string;
  type: string;
  traceparent: string | null;
}

/**
 * Runs a batch's chain write with one `audit.chain.append` span per traced event, each a child of the
 * request that recorded the event, so the worker's write joins that request's trace. The write itself
 * (its PostgreSQL statements) runs under the first of them; the others link to it. Untraced events
 * (tracing off in the app that recorded them, or rows from before tracing) get no span.
 */
export async function traceChainWrite(events: readonly TracedAuditEvent[], write: () => Promise<ChainBatchResult>): Promise<ChainBatchResult> {
  const spans: Span[] = [];
  for (const event of events) {
    const parent = contextFromTraceparent(event.traceparent);
    if (!parent) continue;
    const first = spans[0];
    spans.push(
      tracer().startSpan(
        'audit.chain.append',
        {
          attributes: { 'consentry.audit.event_id': event.eventId, 'consentry.audit.event_type': event.type, 'consentry.audit.batch_size': events.length },
          links: first ? [{ context: first.spanContext() }] : [],
        },
        parent,
      ),
    );
  }
  const [first] = spans;
  if (!first) return write();
  try {
    const result = await context.with(trace.setSpan(context.active(), first), write);
    for (const span of spans) span.setAttribute('consentry.audit.chained', result.chained);
    return result;
  } catch (error) {
    for (const span of spans) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    }
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}
