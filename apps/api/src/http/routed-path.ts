import { FastifyRequest } from 'fastify';

/**
 * The path as the router matches it: the query string dropped and %xx escapes decoded. Fastify's
 * router decodes escapes before matching, so a check on the raw URL would let `/%61dmin` reach the
 * route `/admin`. Every path-based decision taken before routing (network allow-lists, media types,
 * error formats) reads this, never `request.url`.
 */
export function routedPath(request: FastifyRequest): string {
  return routedPathOf(request.url);
}

/** The same for a request target read off the wire (a request line the router never saw). */
export function routedPathOf(raw: string): string {
  const end = raw.search(/[?#]/);
  const path = end === -1 ? raw : raw.slice(0, end);
  try {
    return decodeURIComponent(path);
  } catch {
    // An escape the router cannot decode either: it refuses the request (frameworkErrors) before any route.
    return path;
  }
}
