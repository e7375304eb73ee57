import { FastifyInstance } from 'fastify';

import { PAGE_SECURITY_HEADERS } from '../dashboard/page-response.js';
import { API_DOCS_HEADERS, isApiDocsPath } from './api-docs.js';
import { isPagePath } from './page-paths.js';
import { routedPath } from './routed-path.js';

// A year, subdomains included: what HSTS preload lists ask for.
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Headers every API answer carries: `Cache-Control: no-store` (OB data, sessions, consents and admin
 * answers must never sit in a shared or browser cache; a route that sets its own policy keeps it), and
 * `X-Content-Type-Options: nosniff`, and HSTS when the API is served over https. The docs (Swagger UI
 * at /docs, its assets, /docs-json) are the one HTML the API serves outside the pages: they add their CSP,
 * `X-Frame-Options: DENY` and `Referrer-Policy: no-referrer`, like the dashboard's and console's pages.
 * Every answer under the pages' paths carries the pages' headers, those a page sets itself kept: an
 * unknown page's 404 and a refusal's JSON too (until 7 December 2026 they went without, frameable).
 */
export function registerResponseSecurityHook(fastify: FastifyInstance, options: { https: boolean }): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    // A JSON answer is never to be sniffed into something a browser would run.
    if (!reply.hasHeader('x-content-type-options')) reply.header('x-content-type-options', 'nosniff');
    if (options.https) reply.header('strict-transport-security', HSTS);
    const path = routedPath(request);
    if (isApiDocsPath(path)) reply.headers(API_DOCS_HEADERS);
    if (isPagePath(path)) {
      // A page's asset keeps its own caching (public, an hour), without the pages' `Pragma: no-cache`.
      const cached = reply.getHeader('cache-control') !== 'no-store';
      for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) {
        if (!reply.hasHeader(name) && !(cached && name === 'pragma')) reply.header(name, value);
      }
    }
    return payload;
  });
}
