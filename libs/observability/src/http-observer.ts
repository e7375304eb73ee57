import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

import type { AppMetrics } from './app-metrics.js';
import { requestAnnotations } from './request-annotations.js';

const INTERACTION_ID_HEADER = 'x-fapi-interaction-id';
// Probes and scrapes arrive every few seconds: counted, never logged.
const OPERATIONS_PATH = /^\/(health(\/.*)?|metrics)$/;

function pathOf(url: string | undefined): string {
  // The query string is left out: it may carry codes, state or a TPP's parameters.
  const raw = url ?? '/';
  const end = raw.search(/[?#]/);
  return end === -1 ? raw : raw.slice(0, end);
}

/** The interaction id the app answered with (set by each app's own hook before the answer is written). */
function interactionIdOf(res: ServerResponse): string | undefined {
  const value = res.getHeader(INTERACTION_ID_HEADER);
  return typeof value === 'string' ? value : undefined;
}

/**
 * Watches every request the server receives, before any framework sees it (so oidc-provider's own
 * routes too): one request line each (pino-http) with the interaction id, the client id and the consent
 * id where known, and the request-duration histogram. Health probes and scrapes are counted but not logged.
 */
export function observeHttpServer(server: Server, options: { logger: Logger; metrics: AppMetrics }): void {
  const { metrics } = options;
  const requestLog = pinoHttp({
    logger: options.logger,
    quietReqLogger: true,
    autoLogging: { ignore: (req) => OPERATIONS_PATH.test(pathOf(req.url)) },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${requestAnnotations(req).route ?? pathOf(req.url)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${requestAnnotations(req).route ?? pathOf(req.url)} ${res.statusCode}`,
    customProps: (req, res) => {
      const { route, clientId, consentId, interactionId } = requestAnnotations(req);
      return {
        interactionId: interactionId ?? interactionIdOf(res),
        ...(route ? { route } : {}),
        ...(clientId ? { clientId } : {}),
        ...(consentId ? { consentId } : {}),
      };
    },
    // Method, path and status only: headers carry tokens, proofs and cookies; queries carry codes.
    serializers: {
      req: (req: IncomingMessage & { raw?: IncomingMessage }) => ({ method: req.method, url: pathOf((req.raw ?? req).url) }),
      res: (res: ServerResponse & { raw?: ServerResponse }) => ({ statusCode: (res.raw ?? res).statusCode }),
    },
    wrapSerializers: true,
  });
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    requestLog(req, res);
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(req.method, requestAnnotations(req).route, res.writableFinished ? res.statusCode : 499, seconds);
    };
    res.once('finish', record);
    res.once('close', record);
  });
}
