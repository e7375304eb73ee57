import { FastifyInstance } from 'fastify';

interface RouteEntry {
  pattern: RegExp;
  methods: Set<string>;
}

function toPattern(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  // Exactly the path: the router serves no route with a trailing slash added (ignoreTrailingSlash is off),
  // so a 405 there would name methods that are not served at that path either.
  return new RegExp(`^${escaped}$`);
}

/**
 * The routes the app serves, so a request for a known path with another method is answered 405 with
 * `Allow` rather than Fastify's 404.
 */
export class RouteRegistry {
  private readonly routes = new Map<string, RouteEntry>();

  /** Must run before Nest registers its routes (before `init`). */
  attach(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const entry = this.routes.get(route.url) ?? { pattern: toPattern(route.url), methods: new Set<string>() };
      for (const method of methods) entry.methods.add(method.toUpperCase());
      this.routes.set(route.url, entry);
    });
  }

  /** Methods served at `path` (no query string); empty when no route matches the path at all. */
  allowedMethods(path: string): string[] {
    const methods = new Set<string>();
    for (const entry of this.routes.values()) {
      if (entry.pattern.test(path)) for (const method of entry.methods) methods.add(method);
    }
    return [...methods].sort();
  }
}
