import { randomUUID } from 'node:crypto';

import { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's x-fapi-interaction-id: the TPP's own if well formed, else one we generated. */
    interactionId: string;
  }
}

export const INTERACTION_ID_HEADER = 'x-fapi-interaction-id';

// FAPI: an RFC 4122 UUID. Anything else (too long, other characters) is replaced rather than echoed, so
// a header cannot carry text into our logs or responses.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isInteractionId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Gives every request an interaction id and echoes it on every response, errors included. */
export function registerInteractionIdHook(fastify: FastifyInstance): void {
  fastify.decorateRequest('interactionId', '');
  fastify.addHook('onRequest', async (request, reply) => {
    const incoming = request.headers[INTERACTION_ID_HEADER];
    request.interactionId = isInteractionId(incoming) ? incoming : randomUUID();
    reply.header(INTERACTION_ID_HEADER, request.interactionId);
  });
}
