import { FastifyRequest } from 'fastify';

import { isSentMoreThanOnce } from '../http/single-header.js';

/**
 * The token of `Authorization: Bearer <token>` (RFC 6750 2.1; the scheme in any case), or null: also when Authorization came on
 * two lines, of which Node would keep the first (which one the client meant is not ours to guess).
 */
export function readBearerToken(request: FastifyRequest): string | null {
  if (isSentMoreThanOnce(request, 'authorization')) return null;
  // An auth scheme's name is case-insensitive (RFC 9110 §11.1) and one or more spaces follow it (§11.4);
  // the token's characters are RFC 6750's.
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(request.headers.authorization ?? '');
  return match ? match[1]! : null;
}
