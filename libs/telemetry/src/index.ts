// Trace context for the code of the apps. Only @opentelemetry/api: without the SDK (started by
// `node --import @consentry/telemetry/register` when OTEL_EXPORTER_OTLP_ENDPOINT is set) every call
// here is a no-op, and nothing is recorded.
export { contextFromTraceparent, currentTraceparent, inSpan, tracer } from './trace-context.js';
