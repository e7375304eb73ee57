import { FastifyRequest } from 'fastify';

import { routedPath } from './routed-path.js';

// Where the server-rendered pages live: the PSU's dashboard and the bank's admin console.
const PAGE_ROOTS = ['/dashboard', '/admin-console'];

/**
 * Whether a request is under the pages' paths, routed or not. Such a request posts HTML forms only, and
 * every answer to it, an unknown path's or a refusal's JSON included, carries the pages' security headers.
 */
export function isPageRequest(request: FastifyRequest): boolean {
  const path = routedPath(request);
  return PAGE_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
}
