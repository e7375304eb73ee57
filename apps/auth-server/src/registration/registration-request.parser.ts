import { FastifyInstance } from 'fastify';

/** Media types of a registration request (UK OB DCR: `application/jwt`; `application/jose` also seen). */
export const REGISTRATION_REQUEST_TYPES = ['application/jwt', 'application/jose'];

/**
 * Largest registration request in bytes: a statement carrying a few RSA-4096 public keys, wrapped in a
 * signed request, stays well below it.
 */
export const REGISTRATION_REQUEST_LIMIT = 32 * 1024;

/**
 * Lets Fastify read a compact JWS body as text, bounded (a larger body is 413 before it is read in full).
 * Without it such a body is refused as an unsupported media type.
 */
export function addRegistrationRequestParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(REGISTRATION_REQUEST_TYPES, { parseAs: 'string', bodyLimit: REGISTRATION_REQUEST_LIMIT }, (_request, body, done) => done(null, body));
}
