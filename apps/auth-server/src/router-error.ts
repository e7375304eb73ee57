import { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Fastify's `frameworkErrors`: what its router refuses before any hook runs, the provider's paths
 * included (a URL it cannot decode, a path parameter past its length). Answered as an OAuth error
 * (RFC 6749 §5.2 `invalid_request`) with the headers every answer here carries; Fastify's default body
 * quoted the path.
 */
export function answerRouterError(_error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void reply
    .code(400)
    .headers({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'content-type': 'application/json; charset=utf-8',
    })
    .send(JSON.stringify({ error: 'invalid_request', error_description: 'the request URL is not valid' }));
}
