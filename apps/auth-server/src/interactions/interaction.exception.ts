import { CodedException } from '@consentry/validation';

export enum InteractionExceptionCode {
  /** No interaction cookie, an expired interaction, or a cookie of another interaction than the URL's. */
  SessionNotFound = 'SessionNotFound',
  /** A form post without the interaction's CSRF token. */
  CsrfRejected = 'CsrfRejected',
  /** A consent step without a signed-in PSU. */
  NotSignedIn = 'NotSignedIn',
  /** A form field that is missing, too long or of the wrong shape. */
  InvalidForm = 'InvalidForm',
}

/** A login or consent page request that cannot go on; the filter turns it into a plain HTML page. */
export class InteractionException extends CodedException<InteractionExceptionCode> {}
