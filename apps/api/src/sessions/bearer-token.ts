import { FastifyRequest } from 'fastify';

import { isSentMoreThanOnce } from '../http/single-header.js';

/**
 * The token of `Authorization: Bearer <token>` (RFC 6750 2.1), or null: also when Authorization came on
 * two lines, of which Node would keep the first (which one the client meant is not ours to guess).
 */
export function readBearerToken(request: FastifyRequest): string | null {
  if (isSentMoreThanOnce(request, 'authorization')) return null;
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(request.headers.authorization ?? '');
  return match ? match[1]! : null;
}
