import { MESSAGE_SIGNATURE_HEADER } from '@consentry/message-signing';
import { buildObErrorResponse, ObErrorCode } from '@consentry/validation';
import { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

import { BankSigningKeys } from '../message-signing/bank-signing-keys.js';
import { responseSignature } from '../message-signing/response-signing.hook.js';
import { PAGE_SECURITY_HEADERS } from '../dashboard/page-response.js';
import { INTERACTION_ID_HEADER, isInteractionId } from './interaction-id.hook.js';
import { isPagePath } from './page-paths.js';
import { routedPath } from './routed-path.js';

/**
 * Fastify's `frameworkErrors`: what its router refuses before any route or hook runs (a path parameter
 * over the router's 100 characters, a URL it cannot decode). Answered in the OB error shape, without
 * echoing the path, and signed under the PIS and CBPII paths as every answer there is (no onSend hook
 * runs for these).
 */
export function routerErrorAnswerer(keys: BankSigningKeys) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const body = routerErrorBody(error);
    void responseSignature(request, body.text, keys).then(
      (signature) => answer(request, reply, body, signature),
      () => answer(request, reply, body, undefined),
    );
  };
}

function answer(request: FastifyRequest, reply: FastifyReply, body: { status: number; id: string; text: string }, signature: string | undefined): void {
  const incoming = request.headers[INTERACTION_ID_HEADER];
  if (signature) reply.header(MESSAGE_SIGNATURE_HEADER, signature);
  // Under the pages' paths, the pages' headers (no onSend hook runs for these).
  if (isPagePath(routedPath(request))) reply.headers(PAGE_SECURITY_HEADERS);
  void reply
    .code(body.status)
    .header(INTERACTION_ID_HEADER, isInteractionId(incoming) ? incoming : body.id)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-type', 'application/json; charset=utf-8')
    .send(body.text);
}

/** The longest path parameter the router takes: past every id the spec allows (128). */
export const MAX_PATH_PARAMETER_LENGTH = 256;

function routerErrorBody(error: FastifyError): { status: number; id: string; text: string } {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  // 400 U002, as an id the pipe refuses: no operation of the spec answers 414 (until 7 December 2026 an
  // id of 101 characters or more was 414, a valid 128-character ConsentId too).
  const status = 400;
  const message = tooLong ? `A path parameter is longer than ${MAX_PATH_PARAMETER_LENGTH} characters` : 'The request URL is not valid';
  const body = buildObErrorResponse(status, message, [{ ErrorCode: ObErrorCode.FieldInvalid, Message: message }]);
  return { status, id: body.Id, text: JSON.stringify(body) };
}
