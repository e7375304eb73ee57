import { buildObErrorResponse, ObErrorCode } from '@consentry/validation';
import { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

import { INTERACTION_ID_HEADER, isInteractionId } from './interaction-id.hook.js';

/**
 * Fastify's `frameworkErrors`: what its router refuses before any route or hook runs (a path parameter
 * over the router's 100 characters, a URL it cannot decode). Answered in the OB error shape, without
 * echoing the path.
 */
export function answerRouterError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const incoming = request.headers[INTERACTION_ID_HEADER];
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  const status = tooLong ? 414 : 400;
  const message = tooLong ? 'A path parameter is longer than 100 characters' : 'The request URL is not valid';
  const body = buildObErrorResponse(status, message, [{ ErrorCode: ObErrorCode.FieldInvalid, Message: message }]);
  void reply
    .code(status)
    .header(INTERACTION_ID_HEADER, isInteractionId(incoming) ? incoming : body.Id)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify(body));
}
