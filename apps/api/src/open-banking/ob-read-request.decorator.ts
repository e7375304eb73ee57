import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { TppPrincipal } from '../security/tpp-principal.js';
import { ObReadRequest } from './ob-list.responder.js';

/**
 * The OB read as the guards left it: principal, live consent, path account, called path, interaction
 * id and page cursor. The route's query DTO validates `page` (and refuses anything else) before the
 * handler runs.
 */
export const ObRead = createParamDecorator((_: unknown, context: ExecutionContext): ObReadRequest => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  if (!request.consent) throw new Error('ObRead used on a route without ConsentGuard');
  const params = request.params as Record<string, string | undefined>;
  const page = (request.query as Record<string, unknown> | undefined)?.page;
  return {
    principal: request.user as TppPrincipal,
    consent: request.consent,
    accountId: params.AccountId,
    requestPath: request.url,
    interactionId: request.interactionId,
    page: typeof page === 'string' ? page : undefined,
  };
});
