import { FastifyInstance } from 'fastify';

import { REGISTRATION_PATH } from '../provider/provider.factory.js';

/** Media types of a registration request (UK OB DCR: `application/jwt`; `application/jose` also seen). */
export const REGISTRATION_REQUEST_TYPES = ['application/jwt', 'application/jose'];

/**
 * Largest registration request in bytes: a statement carrying a few RSA-4096 public keys, wrapped in a
 * signed request, stays well below it.
 */
export const REGISTRATION_REQUEST_LIMIT = 32 * 1024;

// The two routes that take a registration body: `POST /register` and `PUT /register/:clientId`.
const TAKES_REGISTRATION_BODY: Record<string, string> = { POST: REGISTRATION_PATH, PUT: `${REGISTRATION_PATH}/:clientId` };

/**
 * Registration bodies (`POST /register`, `PUT /register/:id`): a compact JWS read as text, bounded.
 * Checked before the body is read, so the refusals are RFC 7591's shape, not Fastify's: another media
 * type (JSON included: plain RFC 7591 requests are not accepted) is 400 `invalid_client_metadata`, a
 * declared length above the limit 413. A chunked body past the limit is still cut by the parser.
 */
export function addRegistrationRequestParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(REGISTRATION_REQUEST_TYPES, { parseAs: 'string', bodyLimit: REGISTRATION_REQUEST_LIMIT }, (_request, body, done) => done(null, body));
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    // Matched on the route: a method no route serves there is the controller's 405, not a body refusal.
    if (TAKES_REGISTRATION_BODY[request.method] !== request.routeOptions.url) return done(null, payload);
    const refuse = (status: number, description: string) =>
      reply.status(status).header('cache-control', 'no-store').header('content-type', 'application/json; charset=utf-8').send({ error: 'invalid_client_metadata', error_description: description });
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!REGISTRATION_REQUEST_TYPES.includes(mediaType)) return refuse(400, 'the request body must be a signed JWT (Content-Type: application/jwt)');
    if (Number(request.headers['content-length'] ?? 0) > REGISTRATION_REQUEST_LIMIT) return refuse(413, `the request body must not exceed ${REGISTRATION_REQUEST_LIMIT} bytes`);
    return done(null, payload);
  });
}
