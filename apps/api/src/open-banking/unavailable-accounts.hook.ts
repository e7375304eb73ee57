import { FastifyInstance } from 'fastify';

import { UNAVAILABLE_ACCOUNTS_HEADER, unavailableAccountsOf } from './ob-response.js';

/**
 * A bulk read served without some accounts (their bank was down) says which in a response header: the
 * OB body has no place for it (Meta admits no extra fields), and the TPP must not mistake it for "none".
 * A Fastify preSerialization hook, which sees the body object before it becomes JSON: cheaper on every
 * response than a Nest interceptor's observable chain.
 */
export function registerUnavailableAccountsHook(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', (_request, reply, payload, done) => {
    const unavailable = unavailableAccountsOf(payload);
    if (unavailable.length > 0) reply.header(UNAVAILABLE_ACCOUNTS_HEADER, unavailable.join(','));
    done(null, payload);
  });
}
