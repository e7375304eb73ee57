import { SessionRealm } from '../sessions/session.store.js';

/**
 * One family of pages with its own sign-in: the session namespace it opens, where it lives and the
 * cookies scoped to that path. The dashboard and the admin console never share a cookie or a session.
 */
export interface PageRealm {
  realm: SessionRealm;
  /** The pages' path prefix; the cookies are scoped to it. */
  basePath: string;
  /** Shown in the banner and the title of every page. */
  application: string;
  /** Base name of the realm's cookies (`<name>` for the session, `<name>-login` for the sign-in form). */
  cookieName: string;
}

export function stylesheetOf(realm: PageRealm): string {
  return `${realm.basePath}/assets/pages.css`;
}

export function loginPathOf(realm: PageRealm): string {
  return `${realm.basePath}/login`;
}
