import { FastifyReply, FastifyRequest } from 'fastify';

import { SessionException, SessionExceptionCode } from '../sessions/session.exception.js';
import { IssuedSession } from '../sessions/session.store.js';
import { PageCsrf } from './page-csrf.js';
import { isCompleteLogin, PageLoginForm, parseLoginForm } from './page-forms.js';
import { PageRealm } from './page-realm.js';
import { redirectAfterPost, sendPage } from './page-response.js';
import { PageCookies } from './page-session.js';

export type PageSignIn =
  | { ok: true; session: IssuedSession }
  | { ok: false; reason: 'invalid_credentials' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

/**
 * Runs a sign-in of the customer or admin API's service for a page: a refusal becomes an outcome the
 * page shows next to the form; anything else is a real error.
 */
export async function signInForPage(attempt: () => Promise<IssuedSession>): Promise<PageSignIn> {
  try {
    return { ok: true, session: await attempt() };
  } catch (error) {
    if (!(error instanceof SessionException)) throw error;
    switch (error.code) {
      case SessionExceptionCode.Throttled:
        return { ok: false, reason: 'throttled', retryAfterSeconds: error.retryAfterSeconds ?? 60 };
      case SessionExceptionCode.InvalidCredentials:
      case SessionExceptionCode.Unauthenticated:
        return { ok: false, reason: 'invalid_credentials' };
      default: {
        const unhandled: never = error.code;
        throw new Error(`unhandled session exception ${String(unhandled)}`);
      }
    }
  }
}

/** What the sign-in form says for each refusal, and the status it is sent with. */
export const PAGE_LOGIN_ERRORS = {
  incomplete: { status: 400, text: 'Enter your username, your password and the 6-digit code from your authenticator app.' },
  invalid_credentials: { status: 401, text: 'The username, password or one-time code is not correct.' },
  // A locked username is answered as invalid_credentials (libs/identity): only the client IP's limit differs.
  throttled: { status: 429, text: 'Too many failed sign-in attempts from your network. Try again later.' },
} as const;

/** A page's sign-in form: its realm, how to sign in, how the form is drawn again, and where a session starts. */
export interface PageLoginFlow {
  realm: PageRealm;
  cookies: PageCookies;
  csrf: PageCsrf;
  signIn(form: PageLoginForm): Promise<PageSignIn>;
  loginPage(view: { csrf: string; username: string; error: string }): string;
  landingPath: string;
}

/**
 * Answers a posted sign-in form, the same for the dashboard and the admin console: the login CSRF token
 * checked against the pre-session nonce, then either the form again with the refusal, or the session
 * cookie in place of the nonce and a redirect.
 */
export async function answerLoginForm(flow: PageLoginFlow, body: unknown, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const form = parseLoginForm(body);
  const nonce = flow.cookies.read(request, flow.realm, 'login');
  flow.csrf.assertForLogin(flow.realm.realm, nonce, form.csrf);
  const outcome = isCompleteLogin(form) ? await flow.signIn(form) : ({ ok: false, reason: 'incomplete' } as const);
  if (!outcome.ok) {
    const error = PAGE_LOGIN_ERRORS[outcome.reason];
    if (outcome.reason === 'throttled') void reply.header('retry-after', String(outcome.retryAfterSeconds));
    return sendPage(reply, error.status, flow.loginPage({ csrf: flow.csrf.forLogin(flow.realm.realm, nonce!), username: form.username, error: error.text }));
  }
  flow.cookies.clear(reply, flow.realm, 'login');
  flow.cookies.write(reply, flow.realm, 'session', outcome.session.accessToken);
  redirectAfterPost(reply, flow.landingPath);
}
