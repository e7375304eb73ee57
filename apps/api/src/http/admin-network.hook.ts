import { parseAddressRanges } from '@consentry/config';
import { NotFoundException } from '@nestjs/common';
import { FastifyInstance } from 'fastify';

import { routedPath } from './routed-path.js';

// The admin API (/admin/...) and the admin console (/admin-console...).
const ADMIN_PATH = /^\/admin(-console)?(\/|$)/;

/** Whether a routed path (or an OpenAPI path) belongs to the admin API or the admin console. */
export function isAdminPath(path: string): boolean {
  return ADMIN_PATH.test(path);
}

/** Marks the 404 of a hidden admin path, so no 405 or Allow header tells an outsider the route exists. */
export const ADMIN_PATH_HIDDEN = 'CONSENTRY_ADMIN_PATH_HIDDEN';

/**
 * The admin surfaces share the API's port but answer only clients inside ADMIN_ALLOWED_CIDRS; anyone
 * else gets one and the same 404 for every admin path and method, existing or not. The path is the one
 * the router matches (escapes decoded), and the client address is request.ip, so it follows
 * TRUST_PROXY: a forged X-Forwarded-For from an untrusted peer cannot get in.
 */
export function registerAdminNetworkHook(fastify: FastifyInstance, allowedCidrs: string[]): void {
  const allowed = parseAddressRanges('ADMIN_ALLOWED_CIDRS', allowedCidrs.join(','));
  fastify.addHook('onRequest', async (request) => {
    if (isAdminPath(routedPath(request)) && !allowed.includes(request.ip)) {
      throw new NotFoundException(undefined, { cause: { code: ADMIN_PATH_HIDDEN } });
    }
  });
}
