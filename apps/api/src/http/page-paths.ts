// Where the server-rendered pages live: the PSU's dashboard and the bank's admin console.
const PAGE_ROOTS = ['/dashboard', '/admin-console'];

/**
 * Whether a routed path (routedPath) is under the pages' paths, routed or not. A request there posts HTML
 * forms only, and every answer to it, an unknown path's or a refusal's JSON included, carries the pages'
 * security headers.
 */
export function isPagePath(path: string): boolean {
  return PAGE_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
}
