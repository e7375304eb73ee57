import { parseAddressRanges } from '@consentry/config';
import type { FastifyInstance } from 'fastify';

import type { AppMetrics } from './app-metrics.js';
import type { Readiness } from './readiness.js';
import { annotateRequest } from './request-annotations.js';

/** The paths every app serves on its own port for its operators. */
export const HEALTH_LIVE_PATH = '/health/live';
export const HEALTH_READY_PATH = '/health/ready';
export const METRICS_PATH = '/metrics';

export interface OperationsEndpoints {
  /** The exposition /metrics answers with (an AppMetrics, or more than one registry's text joined). */
  metrics: Pick<AppMetrics, 'render'>;
  /** Checks the app's dependencies (see checkReadiness). */
  readiness(): Promise<Readiness>;
  /** METRICS_ALLOWED_CIDRS: the client addresses /metrics answers. */
  metricsAllowedCidrs: string[];
}

export interface OperationsAnswer {
  status: number;
  contentType: string;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The answer to a GET of one of the operations paths, or undefined for any other path. Liveness says only
 * that the process serves; readiness is 503 until PostgreSQL, Redis and the migrations are all there;
 * metrics answer only the allowed addresses (404 to anyone else, as if there were none).
 */
export function operationsAnswerer(endpoints: OperationsEndpoints): (path: string, clientAddress: string) => Promise<OperationsAnswer | undefined> {
  const allowed = parseAddressRanges('METRICS_ALLOWED_CIDRS', endpoints.metricsAllowedCidrs.join(','));
  return async (path, clientAddress) => {
    if (path === HEALTH_LIVE_PATH) return { status: 200, contentType: JSON_TYPE, body: JSON.stringify({ status: 'live' }) };
    if (path === HEALTH_READY_PATH) {
      const readiness = await endpoints.readiness();
      return { status: readiness.status === 'ready' ? 200 : 503, contentType: JSON_TYPE, body: JSON.stringify(readiness) };
    }
    if (path === METRICS_PATH) {
      if (!allowed.includes(clientAddress)) return { status: 404, contentType: JSON_TYPE, body: JSON.stringify({ error: 'not_found' }) };
      const { contentType, body } = await endpoints.metrics.render();
      return { status: 200, contentType, body };
    }
    return undefined;
  };
}

/**
 * Serves the operations paths from a Fastify app (the client address is Fastify's `request.ip`, which
 * follows X-Forwarded-For only through the proxies TRUST_PROXY names; a refused /metrics is answered as
 * an unknown path), and labels every request the app
 * routes with its route pattern for the request metrics and log lines.
 */
export function registerOperationsRoutes(fastify: FastifyInstance, endpoints: OperationsEndpoints): void {
  const answer = operationsAnswerer(endpoints);
  fastify.addHook('onRequest', async (request) => {
    annotateRequest(request.raw, { route: request.routeOptions.url });
  });
  for (const path of [HEALTH_LIVE_PATH, HEALTH_READY_PATH, METRICS_PATH]) {
    fastify.get(path, async (request, reply) => {
      const result = (await answer(path, request.ip))!;
      // A refused scrape gets the app's own 404, the answer to any path it does not serve.
      if (result.status === 404) return reply.callNotFound();
      return reply.code(result.status).header('content-type', result.contentType).header('cache-control', 'no-store').send(result.body);
    });
  }
}
