import { Context, context, propagation, ROOT_CONTEXT, Span, SpanOptions, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';

/** The tracer of Consentry's own spans (the instrumentations name theirs). */
export function tracer(): Tracer {
  return trace.getTracer('consentry');
}

/**
 * The W3C `traceparent` of the active span, to carry the request's trace through a store (the audit
 * outbox) to the process that continues it; null when nothing is being traced.
 */
export function currentTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'] ?? null;
}

/** The context a stored `traceparent` continues, or undefined when there is none or it does not parse. */
export function contextFromTraceparent(traceparent: string | null | undefined): Context | undefined {
  if (!traceparent) return undefined;
  const extracted = propagation.extract(ROOT_CONTEXT, { traceparent });
  return trace.getSpanContext(extracted) ? extracted : undefined;
}

/**
 * Runs `work` in a new active span (under `parent`, or the active context), ends it when `work`
 * settles and records a failure on it.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>, parent: Context = context.active()): Promise<T> {
  return tracer().startActiveSpan(name, options, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
