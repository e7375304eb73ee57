import type { AddressInfo } from 'node:net';

import { type BankConnector, HttpBankConnector } from '@consentry/banking';
import { type ApiConfig, httpServerLimits, trustedProxyPredicate } from '@consentry/config';
import { connectDatabase, connectRedis, createDataSource, DataSource, ReadReplicaRouter } from '@consentry/database';
import { capPasswordHashing, EnvironmentKeyManagement } from '@consentry/identity';
import { AppMetrics, checkReadiness, DrainState, createAppLogger, createNestLogger, observeHttpServer, registerOperationsRoutes } from '@consentry/observability';
import { PaymentRiskEngine } from '@consentry/risk';
import { createValidationPipe } from '@consentry/validation';
import fastifyCookie from '@fastify/cookie';
import { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

import { AppModule } from './app.module.js';
import { registerAcceptHook } from './http/accept.hook.js';
import { registerAdminNetworkHook } from './http/admin-network.hook.js';
import { serveApiDocs } from './http/api-docs.js';
import { clientErrorAnswerer } from './http/client-error.js';
import { registerContentTypeHook } from './http/content-type.hook.js';
import { registerInteractionIdHook } from './http/interaction-id.hook.js';
import { registerJsonBodyParser } from './http/json-body.parser.js';
import { MAX_PATH_PARAMETER_LENGTH, routerErrorAnswerer } from './http/router-error.js';
import { PublicUrl } from './http/public-url.js';
import { registerRequestLogContextHook } from './http/request-log-context.hook.js';
import { registerResponseSecurityHook } from './http/response-security.hook.js';
import { RouteRegistry } from './http/route-registry.js';
import { TransportExceptionFilter } from './http/transport-exception.filter.js';
import { UnreadableBodyInterceptor } from './http/unreadable-body.interceptor.js';
import { BankSigningKeys } from './message-signing/bank-signing-keys.js';
import { registerResponseSigningHook } from './message-signing/response-signing.hook.js';
import { registerUnavailableAccountsHook } from './open-banking/unavailable-accounts.hook.js';
import { observeRiskDecisions } from './payment-reviews/risk-decision-metrics.js';
import { registerUnattendedAccessHook } from './security/unattended-access.guard.js';

// How long shutdown waits for the connections open when it stops accepting to end with their answers.
const CONNECTION_GRACE_MS = 5_000;

/** A started API: where it listens, and how to stop it (HTTP server, then Redis and PostgreSQL). */
export interface RunningApi {
  /** Where the server listens (http://127.0.0.1:<port> or the production bind address). */
  url: string;
  port: number;
  /** The public base URL: token audience, DPoP htu and Links base. */
  publicUrl: string;
  /** The app's root logger (JSON or pretty lines on stdout, as LOG_FORMAT says). */
  logger: Logger;
  /** Shutdown's first step: readiness 503 and `Connection: close`, still serving. */
  beginDrain(): void;
  close(): Promise<void>;
}

export interface StartApiOptions {
  /** Bank connectors besides the built-in ledger; by default those of the config (HTTP_BANK_CONNECTORS). */
  connectors?: BankConnector[];
  /** The clock of the TPP rate limit and the unattended-access window (tests move it; default Date.now). */
  limitClock?: () => number;
  /** Modules mounted beside the app's own: test-only routes that exercise its guards and services. */
  modules?: Type[];
}

/**
 * Starts the resource server, the customer API and the admin API on one port. Port 0 picks a free port;
 * when API_URL itself names port 0 the public URL becomes the address actually bound.
 */
export async function startApi(config: ApiConfig, options: StartApiOptions = {}): Promise<RunningApi> {
  const connectors = options.connectors ?? config.httpBankConnectors.map((connector) => new HttpBankConnector(connector));
  capPasswordHashing(config.passwordHashConcurrency);
  const dataSource = await connectDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize, applicationName: 'consentry-api' });
  let redis: Redis;
  try {
    redis = await connectRedis(config);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  const ledgerReads = config.readReplica
    ? new ReadReplicaRouter(dataSource, createDataSource({ url: config.readReplica.url, poolSize: config.databasePoolSize, applicationName: 'consentry-api-reads' }), { maxLagMs: config.readReplica.maxLagMs })
    : undefined;
  try {
    // Never fails the start: a replica that cannot be reached serves nothing, and the primary reads.
    await ledgerReads?.start();
    return await startHttp(config, dataSource, redis, connectors, options, ledgerReads);
  } catch (error) {
    await ledgerReads?.stop();
    redis.disconnect();
    await dataSource.destroy();
    throw error;
  }
}

async function startHttp(
  config: ApiConfig,
  dataSource: DataSource,
  redis: Redis,
  connectors: BankConnector[],
  options: StartApiOptions,
  ledgerReads: ReadReplicaRouter | undefined,
): Promise<RunningApi> {
  const publicUrl = new PublicUrl(config.apiUrl);
  const keys = new EnvironmentKeyManagement(config.secretsKeys);
  const signingKeys = await BankSigningKeys.load(config);
  const limitClock = options.limitClock ?? Date.now;
  // request.ip follows X-Forwarded-For only through the proxies TRUST_PROXY names.
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimit,
    // A client has HTTP_REQUEST_TIMEOUT_MS to send its whole request (408 past it; clientErrorAnswerer).
    ...httpServerLimits(config),
    logger: false,
    trustProxy: trustedProxyPredicate(config.trustProxy) ?? false,
    // While closing, a request on a connection already open is served, not answered 503: the drain has
    // sent `Connection: close`, so only requests that were already on their way arrive.
    return503OnClosing: false,
    // Room for every id the spec allows (a funds-confirmation ConsentId is Max128Text; ObIdPipe checks each
    // id's own length): Fastify's default, 100, answered a valid 101-128 character id before any route.
    // (Fastify 5 reads router options from routerOptions: one at the top level is deprecated, FSTDEP022.)
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    // Errors the router raises before any hook (a path parameter past that, a malformed URL): the OB error
    // shape, never Fastify's default body, which quotes the path.
    frameworkErrors: routerErrorAnswerer(signingKeys),
    // What Node's HTTP parser refuses before the router (headers over the limit, a malformed request line).
    clientErrorHandler: clientErrorAnswerer(signingKeys),
  });
  const logger = createAppLogger({ app: 'api', level: config.logLevel, format: config.logFormat });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, dataSource, redis, keys, publicUrl, connectors, limitClock, signingKeys, ledgerReads }, options.modules ?? []),
    adapter,
    {
      logger: createNestLogger(logger),
      abortOnError: false,
      // The JSON parser keeps each body's exact bytes (request.rawBody) beside the parsed value: request
      // signatures and idempotency are over the bytes sent, never over re-serialised JSON.
      rawBody: true,
    },
  );
  const fastify = app.getHttpAdapter().getInstance();
  const metrics = new AppMetrics();
  metrics.watchDatabasePool(dataSource);
  if (ledgerReads) {
    metrics.gauge('consentry_read_replica_lag_ms', 'How far the read replica is behind the primary, in ms (-1 when unreachable)', [], (gauge) => {
      gauge.set(ledgerReads.state.lagMs ?? -1);
    });
    metrics.gauge('consentry_read_replica_serving', 'Whether ledger reads go to the read replica now (1) or to the primary (0)', [], (gauge) => {
      gauge.set(ledgerReads.state.serving ? 1 : 0);
    });
  }
  observeRiskDecisions(app.get(PaymentRiskEngine, { strict: false }), metrics);
  observeHttpServer(fastify.server, { logger, metrics });
  const drain = new DrainState();
  drain.watch(fastify.server);
  const routes = new RouteRegistry();
  // Before init: the registry must see every route Nest registers.
  routes.attach(fastify);
  registerOperationsRoutes(fastify, {
    metrics,
    readiness: () => checkReadiness(dataSource, redis, drain),
    metricsAllowedCidrs: config.metricsAllowedCidrs,
  });
  registerRequestLogContextHook(fastify);
  registerInteractionIdHook(fastify);
  // First after the interaction id: an outsider's admin request is refused before any other check
  // can answer differently for paths that exist.
  registerAdminNetworkHook(fastify, config.adminAllowedCidrs);
  registerContentTypeHook(fastify);
  // Content negotiation, like the 415 above: a 406 before any guard, so before the token's 401/403.
  registerAcceptHook(fastify);
  registerJsonBodyParser(app, config.bodyLimit);
  registerUnavailableAccountsHook(fastify);
  registerResponseSecurityHook(fastify, { https: new URL(config.apiUrl).protocol === 'https:' });
  registerResponseSigningHook(fastify, signingKeys);
  registerUnattendedAccessHook(fastify, redis);
  // Parses the Cookie header for the dashboard's and the admin console's session cookies.
  await app.register(fastifyCookie);
  app.useGlobalPipes(createValidationPipe());
  // After every guard, before the pipes: an OB body the parser could not read is refused U010 there.
  app.useGlobalInterceptors(new UnreadableBodyInterceptor());
  app.useGlobalFilters(new TransportExceptionFilter(routes));
  // Read lazily: the servers list follows the public URL, known only after listening on port 0.
  if (config.docsEnabled) serveApiDocs(app, publicUrl);

  // Sandbox binds to loopback only; production sits behind a proxy and binds every interface.
  const host = config.mode === 'production' ? '0.0.0.0' : '127.0.0.1';
  try {
    await app.listen(config.port, host);
  } catch (error) {
    await app.close();
    throw error;
  }
  const { port } = fastify.server.address() as AddressInfo;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const configured = new URL(config.apiUrl);
  if (configured.port === '0') publicUrl.resolve(`${configured.protocol}//${configured.hostname}:${port}`);

  return {
    url,
    port,
    publicUrl: publicUrl.value,
    logger,
    beginDrain: () => drain.begin(),
    async close() {
      await drain.stopAccepting(fastify.server, CONNECTION_GRACE_MS);
      await app.close();
      await redis.quit().catch(() => redis.disconnect());
      await ledgerReads?.stop();
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
