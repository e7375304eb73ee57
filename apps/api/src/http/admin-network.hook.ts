import { parseAddressRanges } from '@consentry/config';
import { FastifyInstance } from 'fastify';

// The admin API (/admin/...) and the admin console (/admin-console...).
const ADMIN_PATH = /^\/admin(-console)?(\/|\?|$)/;

/**
 * The admin surfaces share the API's port but answer only clients inside ADMIN_ALLOWED_CIDRS; anyone
 * else gets the answer of a route that does not exist. The client address is request.ip, so it follows
 * TRUST_PROXY: a forged X-Forwarded-For from an untrusted peer cannot get in.
 */
export function registerAdminNetworkHook(fastify: FastifyInstance, allowedCidrs: string[]): void {
  const allowed = parseAddressRanges('ADMIN_ALLOWED_CIDRS', allowedCidrs.join(','));
  fastify.addHook('onRequest', async (request, reply) => {
    if (ADMIN_PATH.test(request.url) && !allowed.includes(request.ip)) return reply.callNotFound();
  });
}
