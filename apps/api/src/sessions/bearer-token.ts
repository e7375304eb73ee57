import { FastifyRequest } from 'fastify';

/** The token of `Authorization: Bearer <token>` (RFC 6750 2.1), or null. */
export function readBearerToken(request: FastifyRequest): string | null {
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(request.headers.authorization ?? '');
  return match ? match[1]! : null;
}
