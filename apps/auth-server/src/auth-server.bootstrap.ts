import 'reflect-metadata';

import { IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

import { AuthServerConfig, clientAddress, httpServerLimits, trustedProxyPredicate } from '@consentry/config';
import { connectDatabase, connectRedis, DataSource } from '@consentry/database';
import { capPasswordHashing } from '@consentry/identity';
import { AppMetrics, checkReadiness, createAppLogger, DrainState, createNestLogger, observeHttpServer, registerOperationsRoutes } from '@consentry/observability';
import helmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { JWKS } from 'oidc-provider';
import type { Logger } from 'pino';

import { AuthServerModule } from './auth-server.module.js';
import { FAPI_INTERACTION_ID_HEADER, fapiInteractionIdOf } from './fapi-interaction-id.js';
import { OidcProviderRef } from './provider/oidc-provider.ref.js';
import { EndpointRateLimit } from './provider/endpoint-rate-limit.js';
import { createProvider } from './provider/provider.factory.js';
import { observeProvider } from './provider/provider-observability.js';
import { RedisReplayMarkers } from './provider/replay-markers.js';
import { RevokedAccessTokens } from './provider/revoked-access-tokens.js';
import { loadServerSecrets } from './provider/server-secrets.js';
import { loadSigningJwks } from './provider/signing-keys.js';
import { TppChangeListener, TppClientCache } from './provider/tpp-client.cache.js';
import { addRegistrationRequestParser } from './registration/registration-request.parser.js';
import { loadTrustedDirectory, readPublicJwksFile } from './registration/trusted-directory.js';
import { answerRouterError } from './router-error.js';

// How long shutdown waits for the connections open when it stops accepting to end with their answers.
const CONNECTION_GRACE_MS = 5_000;

export interface RunningAuthServer {
  /** Base URL and issuer identifier, e.g. http://localhost:3001 (with the bound port when started on port 0). */
  url: string;
  port: number;
  /** The app's root logger (JSON or pretty lines on stdout, as LOG_FORMAT says). */
  logger: Logger;
  /** Shutdown's first step: readiness 503 and `Connection: close`, still serving. */
  beginDrain(): void;
  /** Stops accepting requests, then closes the database pool and Redis. */
  close(): Promise<void>;
}

/** Paths Nest (or Fastify itself) serves; everything else belongs to oidc-provider. */
const NEST_PATH = /^\/(interaction\/|assets\/|(health|register|metrics)(\/|$|\?))/;

/**
 * oidc-provider is a Koa app with its own idea of X-Forwarded-* (`proxy` on or off, whoever the peer is).
 * It is handed what Fastify would conclude: X-Forwarded-For reduced to the client address the trusted
 * proxy chain gives, and X-Forwarded-Proto/-Host kept only when the socket's peer is a trusted proxy.
 */
function forwardOnlyTrustedHeaders(req: IncomingMessage, trusted: ((address: string, hop: number) => boolean) | undefined): void {
  const peer = req.socket.remoteAddress ?? '';
  if (trusted && trusted(peer, 0)) {
    req.headers['x-forwarded-for'] = clientAddress(peer, req.headers['x-forwarded-for'], trusted);
    // Koa reads the first entry; the one the nearest proxy appended is the last.
    for (const name of ['x-forwarded-proto', 'x-forwarded-host'] as const) {
      const value = req.headers[name];
      if (typeof value === 'string') req.headers[name] = value.split(',').pop()!.trim();
    }
    return;
  }
  delete req.headers['x-forwarded-for'];
  delete req.headers['x-forwarded-proto'];
  delete req.headers['x-forwarded-host'];
}

/** The issuer: AUTH_SERVER_URL, with the port actually bound when any free port was asked for. */
function issuerFor(config: AuthServerConfig, port: number): string {
  if (config.port !== 0) return config.authServerUrl;
  const url = new URL(config.authServerUrl);
  url.port = String(port);
  return url.toString().replace(/\/+$/, '');
}

/**
 * Starts the authorization server: NestJS on Fastify for the PSU's pages, with oidc-provider mounted
 * for every other path. Used by main.ts and by end-to-end tests that run all apps in one process.
 * PostgreSQL and Redis must answer, or it fails with one StartupError line.
 */
export async function startAuthServer(config: AuthServerConfig): Promise<RunningAuthServer> {
  capPasswordHashing(config.passwordHashConcurrency);
  const dataSource: DataSource = await connectDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize, applicationName: 'consentry-auth-server' });
  let redis: Redis | undefined;
  const clientCache = new TppClientCache(config.tppCacheSeconds);
  const tppChanges = new TppChangeListener(config.databaseUrl, clientCache);
  const release = async () => {
    await tppChanges.stop();
    redis?.disconnect();
    if (dataSource.isInitialized) await dataSource.destroy();
  };
  try {
    // Replay checks run on the request path: fail fast (server_error) rather than queue while Redis is
    // away; concurrent requests' markers go out in one write (auto-pipelining).
    redis = await connectRedis(config, { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true });
    const [jwks, secrets, trustedDirectory, apiClientJwks] = await Promise.all([
      loadSigningJwks(config),
      loadServerSecrets(config),
      loadTrustedDirectory(config),
      config.apiClientJwksFile ? readPublicJwksFile(config.apiClientJwksFile, 'API_CLIENT_JWKS_FILE') : undefined,
    ]);
    if (config.tppCacheSeconds > 0) await tppChanges.start();
    const providerRef = new OidcProviderRef();
    // request.ip (and the provider's ctx.ip) follow X-Forwarded-* only through the proxies TRUST_PROXY names.
    const trustedProxy = trustedProxyPredicate(config.trustProxy);
    const replayMarkers = new RedisReplayMarkers(redis, config.redisPrefix);
    const logger = createAppLogger({ app: 'auth-server', level: config.logLevel, format: config.logFormat });
    const app = await NestFactory.create<NestFastifyApplication>(
      AuthServerModule.register({ config, dataSource, providerRef, interactionCsrfKey: secrets.interactionCsrfKey, trustedDirectory, replayMarkers }),
      // return503OnClosing off: see the API's bootstrap (the drain has sent `Connection: close` first).
      // A client has HTTP_REQUEST_TIMEOUT_MS to send its whole request, the provider's routes included (they share the server).
      new FastifyAdapter({ trustProxy: trustedProxy ?? false, bodyLimit: 64 * 1024, return503OnClosing: false, frameworkErrors: answerRouterError, ...httpServerLimits(config) }),
      { logger: createNestLogger(logger), abortOnError: false },
    );
    const fastify = app.getHttpAdapter().getInstance();
    const metrics = new AppMetrics();
    metrics.watchDatabasePool(dataSource);
    // Before the provider is mounted: its requests never reach Fastify's routing or hooks.
    observeHttpServer(fastify.server, { logger, metrics });
    const drain = new DrainState();
    drain.watch(fastify.server);
    const readyRedis = redis;
    registerOperationsRoutes(fastify, {
      metrics,
      // Not ready until the provider is mounted (it answers 503 "starting up" until then).
      readiness: async () => {
        const readiness = await checkReadiness(dataSource, readyRedis, drain);
        return providerRef.ready || readiness.status === 'draining' ? readiness : { ...readiness, status: 'unavailable' };
      },
      metricsAllowedCidrs: config.metricsAllowedCidrs,
    });
    addRegistrationRequestParser(fastify);
    fastify.addHook('onRequest', async (request, reply) => {
      // On the raw response, so it is also sent when a reply is handed to oidc-provider.
      reply.raw.setHeader(FAPI_INTERACTION_ID_HEADER, fapiInteractionIdOf(request.headers[FAPI_INTERACTION_ID_HEADER]));
    });
    await app.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
          // No form-action: it would block the redirect to the TPP after approve/deny (see PAGE_CSP).
        },
      },
      strictTransportSecurity: config.authServerUrl.startsWith('https:'),
    });

    // middie runs in onRequest, before body parsing, so the provider reads its own form bodies (PAR,
    // token). Its Koa app never calls next(): the Nest paths are filtered out before it. The rate limits
    // of /token, /request and /register come first (a token or PAR form they read is replayed).
    const rateLimit = new EndpointRateLimit(redis, config.redisPrefix, { perClient: config.oauthRateLimitPerClient, perIp: config.oauthRateLimitPerIp });
    const serve = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
      if (NEST_PATH.test(req.url ?? '')) return next();
      if (!providerRef.ready) {
        res.writeHead(503, { 'retry-after': '1', 'cache-control': 'no-store', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'temporarily_unavailable', error_description: 'starting up' }));
        return;
      }
      forwardOnlyTrustedHeaders(req, trustedProxy);
      providerRef.handle(req, res);
    };
    app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
      rateLimit.admit(req, res).then(
        (admitted) => {
          if (admitted !== 'refused') serve(admitted, res, next);
        },
        () => {
          // Redis unreachable: refuse rather than serve unlimited (as the replay checks do).
          res.writeHead(503, { 'retry-after': '1', 'cache-control': 'no-store', 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'temporarily_unavailable', error_description: 'try again later' }));
        },
      );
    });

    await app.listen({ port: config.port, host: config.mode === 'production' ? '0.0.0.0' : 'localhost' });
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const issuer = issuerFor(config, port);
    const provider = createProvider({
      issuer,
      config,
      dataSource,
      jwks,
      secrets,
      replayMarkers,
      revokedAccessTokens: new RevokedAccessTokens(redis, config.redisPrefix),
      clientCache,
      registration: trustedDirectory !== undefined,
      apiClient: apiClientJwks ? { clientId: config.apiClientId, jwks: apiClientJwks as JWKS } : undefined,
    });
    rateLimit.watch(provider);
    observeProvider(provider, metrics);
    providerRef.set(provider);

    return {
      url: issuer,
      port,
      logger,
      beginDrain: () => drain.begin(),
      async close() {
        await drain.stopAccepting(fastify.server, CONNECTION_GRACE_MS);
        await app.close();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}
