import { UnsupportedMediaTypeException } from '@nestjs/common';
import { FastifyInstance, FastifyRequest } from 'fastify';

import { routedPath } from './routed-path.js';
import { isSentMoreThanOnce } from './single-header.js';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
// RFC 9110 §5.6.6: `charset=utf-8` and `charset="utf-8"` are the same parameter (\2 closes the quote it opened).
const JSON_TYPE = /^application\/json\s*(;\s*charset=("?)utf-8\2\s*)?$/i;
// The server-rendered pages (dashboard, admin console) post HTML forms, and forms only.
const FORM_PAGE_PREFIXES = ['/dashboard/', '/admin-console/'];
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;\s*charset=("?)utf-8\2\s*)?$/i;

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/**
 * Our write endpoints take JSON only. Fastify would also parse text/plain and Nest adds form bodies;
 * refusing them before parsing gives one clear 415 instead of a confusing validation error. A type sent on
 * two lines is refused too, whatever they say: Node keeps the first, another reader of the same bytes (a
 * gateway, a signature's verifier) may take the last, and a body is read only if it means one thing.
 */
export function registerContentTypeHook(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request) => {
    if (!METHODS_WITH_BODY.has(request.method) || !hasBody(request)) return;
    const contentType = request.headers['content-type'];
    const accepted = FORM_PAGE_PREFIXES.some((prefix) => routedPath(request).startsWith(prefix)) ? FORM_TYPE : JSON_TYPE;
    if (contentType === undefined || !accepted.test(contentType) || isSentMoreThanOnce(request, 'content-type')) {
      throw new UnsupportedMediaTypeException('The request body must be application/json');
    }
  });
}
