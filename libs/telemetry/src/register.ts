// The `--import` entry of every app: `node --import @consentry/telemetry/register dist/main.js`.
// Nothing is loaded or started unless OTEL_EXPORTER_OTLP_ENDPOINT is set: without it this module
// does nothing, and the apps' @opentelemetry/api calls stay no-ops.
if (process.env['OTEL_EXPORTER_OTLP_ENDPOINT']) {
  const { startTracing } = await import('./tracing.js');
  await startTracing();
}

export {};
