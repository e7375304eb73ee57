import { register } from 'node:module';

import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createAddHookMessageChannel } from 'import-in-the-middle';

import { serviceNameOf } from './service-name.js';

// Query parameters that carry credentials in OAuth and FAPI flows; recorded as REDACTED in URLs.
const SECRET_QUERY_PARAMS = [
  'code',
  'code_verifier',
  'access_token',
  'id_token',
  'refresh_token',
  'client_secret',
  'client_assertion',
  'token',
  'request',
  'request_uri',
  'response',
  'state',
  'sig',
  'Signature',
];

// Health probes and Prometheus scrapes: /health, /health/live, /health/ready, /metrics (with a query or not).
const PROBE_PATHS = /^\/(health(\/[a-z]+)?|metrics)(\?|$)/;

/**
 * Starts the OpenTelemetry Node SDK: spans of incoming and outgoing HTTP (node:http, undici/fetch),
 * PostgreSQL (pg) and Redis (ioredis), exported over OTLP/HTTP (JSON) to OTEL_EXPORTER_OTLP_ENDPOINT.
 *
 * The apps are ESM and import these CommonJS clients with `import`, which require-in-the-middle does not
 * see: import-in-the-middle's loader hook is registered first, limited to the modules the
 * instrumentations hook, and the app's imports wait until it has them.
 *
 * Nothing secret is recorded: no SQL parameter values (pg's enhancedDatabaseReporting stays off), no
 * Redis arguments (the command name only), no headers (none are listed for capture), and OAuth query
 * parameters are redacted from URLs.
 */
export async function startTracing(): Promise<NodeSDK> {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const sdk = new NodeSDK({
    serviceName: serviceNameOf(process.argv[1]),
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      new HttpInstrumentation({
        redactedQueryParams: SECRET_QUERY_PARAMS,
        redactedQueryParamsServer: SECRET_QUERY_PARAMS,
        // Probes and scrapes would be a trace every few seconds.
        ignoreIncomingRequestHook: (request) => PROBE_PATHS.test(request.url ?? ''),
      }),
      new UndiciInstrumentation(),
      // Background polls (outbox relay, expiry sweep, BullMQ's blocking reads) run outside any span:
      // recording them would be a trace per poll. Their work is traced where it serves a request.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  return sdk;
}
