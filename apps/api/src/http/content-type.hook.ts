import { UnsupportedMediaTypeException } from '@nestjs/common';
import { FastifyInstance, FastifyRequest } from 'fastify';

import { isPagePath } from './page-paths.js';
import { routedPath } from './routed-path.js';
import { isSentMoreThanOnce } from './single-header.js';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
// RFC 9110 §5.6.6: `charset=utf-8` and `charset="utf-8"` are the same parameter (\2 closes the quote it opened).
const JSON_TYPE = /^application\/json\s*(;\s*charset=("?)utf-8\2\s*)?$/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;\s*charset=("?)utf-8\2\s*)?$/i;

/** Whether the request carries a body: a Content-Length other than 0, or any Transfer-Encoding (RFC 9112 §6.3). */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/**
 * Our write endpoints take JSON only. Fastify would also parse text/plain and Nest adds form bodies;
 * refusing them before parsing gives one clear 415 instead of a confusing validation error. A type sent on
 * two lines is refused too, whatever they say: Node keeps the first, another reader of the same bytes (a
 * gateway, a signature's verifier) may take the last, and a body is read only if it means one thing.
 * A GET or DELETE without a body is read as bodyless whatever its Content-Type.
 */
export function registerContentTypeHook(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request) => {
    if (!hasBody(request)) {
      // A GET or DELETE without a body has none, whatever Content-Type a client library adds to every call.
      // Fastify reads the header as the promise of a body: it parses "" as JSON (400 U010) or finds no
      // parser for another type (415). Dropped before any parser runs, the request is read as bodyless.
      // A POST, PUT or PATCH keeps it: an empty body there is refused as not JSON, as before.
      if (!METHODS_WITH_BODY.has(request.method)) delete request.headers['content-type'];
      return;
    }
    if (!METHODS_WITH_BODY.has(request.method)) return;
    const contentType = request.headers['content-type'];
    // The server-rendered pages (dashboard, admin console) post HTML forms, and forms only.
    const accepted = isPagePath(routedPath(request)) ? FORM_TYPE : JSON_TYPE;
    if (contentType === undefined || !accepted.test(contentType) || isSentMoreThanOnce(request, 'content-type')) {
      throw new UnsupportedMediaTypeException('The request body must be application/json');
    }
  });
}
