import { FastifyRequest } from 'fastify';

/**
 * The value of a header that must be sent at most once (`name` in lower case), or undefined when it is
 * absent; sent more than once, the caller's `repeated()` error is thrown. request.headers cannot tell: Node
 * joins the lines of a repeated custom header with ", " (`x-idempotency-key: a` and `x-idempotency-key: b`
 * arrive as "a, b") and keeps only the first of a repeated Authorization. So the raw lines are counted,
 * names compared case-insensitively; only when the header is present, a walk over a few dozen strings.
 */
export function singleHeader(request: FastifyRequest, name: string, repeated: () => Error): string | undefined {
  const value = request.headers[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value) || headerLines(request.raw.rawHeaders, name) > 1) throw repeated();
  return value;
}

/** Whether the header `name` (lower case) came on more than one line, for a caller that refuses it without an error of its own. */
export function isSentMoreThanOnce(request: FastifyRequest, name: string): boolean {
  return request.headers[name] !== undefined && headerLines(request.raw.rawHeaders, name) > 1;
}

function headerLines(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  // rawHeaders alternates names and values, each name as the client spelt it.
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const line = rawHeaders[index]!;
    if (line.length === name.length && line.toLowerCase() === name) count += 1;
  }
  return count;
}
