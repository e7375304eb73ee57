import { SessionException, SessionExceptionCode } from '../sessions/session.exception.js';
import { IssuedSession } from '../sessions/session.store.js';

export type PageSignIn = { ok: true; session: IssuedSession } | { ok: false; reason: 'invalid_credentials' | 'locked' };

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
      case SessionExceptionCode.Locked:
        return { ok: false, reason: 'locked' };
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
  locked: { status: 423, text: 'Too many failed attempts: signing in is paused for a while. Try again later.' },
} as const;
