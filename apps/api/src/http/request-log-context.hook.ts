import { annotateRequest } from '@consentry/observability';
import { FastifyInstance } from 'fastify';

import { TppPrincipal } from '../security/tpp-principal.js';

function tppPrincipalOf(user: unknown): TppPrincipal | undefined {
  return typeof user === 'object' && user !== null && 'clientId' in user && 'jkt' in user ? (user as TppPrincipal) : undefined;
}

/**
 * Puts the interaction id, the TPP's client id and the consent id on the request line, once the guards have resolved them:
 * the token's consent, or the ConsentId in the path of a consent resource.
 */
export function registerRequestLogContextHook(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request) => {
    const principal = tppPrincipalOf(request.user);
    const params = request.params as Record<string, string | undefined> | undefined;
    annotateRequest(request.raw, {
      // Fastify writes its reply headers with writeHead: the raw response never holds this one.
      interactionId: request.interactionId,
      clientId: principal?.clientId,
      consentId: request.consent?.consentId ?? principal?.consentId ?? params?.ConsentId,
    });
  });
}
