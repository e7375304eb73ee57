import { CodedException } from '@consentry/validation';

export enum SessionExceptionCode {
  /** A wrong password or code, an unknown username and a locked one alike: one answer for all three. */
  InvalidCredentials = 'InvalidCredentials',
  /** Too many failed sign-ins from the client's IP: 429 with Retry-After. */
  Throttled = 'Throttled',
  /** No bearer token, or one that is unknown, expired or of the other API. */
  Unauthenticated = 'Unauthenticated',
}

/** A refused customer or admin sign-in or session. */
export class SessionException extends CodedException<SessionExceptionCode> {
  constructor(
    code: SessionExceptionCode,
    message: string,
    /** Seconds until a throttled client may try again (Throttled only). */
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message);
  }
}

/**
 * The refusal of a failed sign-in. A locked username, known or not, gets the answer of a wrong password:
 * telling them apart would tell which usernames exist (and a lock is not a secret worth a distinct code).
 */
export function signInRefusal(outcome: { reason: 'invalid_credentials' | 'locked' } | { reason: 'throttled'; retryAfterSeconds: number }): SessionException {
  if (outcome.reason === 'throttled') {
    return new SessionException(SessionExceptionCode.Throttled, 'Too many failed sign-in attempts from this address; try again later', outcome.retryAfterSeconds);
  }
  return new SessionException(SessionExceptionCode.InvalidCredentials, 'The username, password or code is not correct');
}
