export enum SessionExceptionCode {
  InvalidCredentials = 'InvalidCredentials',
  Locked = 'Locked',
  /** No bearer token, or one that is unknown, expired or of the other API. */
  Unauthenticated = 'Unauthenticated',
}

/** A refused customer or admin sign-in or session. */
export class SessionException extends Error {
  override name = 'SessionException';

  constructor(
    readonly code: SessionExceptionCode,
    message: string,
  ) {
    super(message);
  }
}
