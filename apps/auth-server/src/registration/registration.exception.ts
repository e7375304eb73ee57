import { CodedException } from '@consentry/validation';

/** Why a registration request (RFC 7591) or a management request (RFC 7592) is refused. */
export enum RegistrationExceptionCode {
  /** The software statement is missing, malformed, expired, or its claims are unusable. */
  InvalidSoftwareStatement = 'InvalidSoftwareStatement',
  /** The statement is not signed by a trusted directory (or names another issuer). */
  UnapprovedSoftwareStatement = 'UnapprovedSoftwareStatement',
  /**
   * A metadata value is invalid or contradicts the FAPI 2.0 profile or the statement; or the request JWT
   * itself is unusable (not signed by the statement's keys, wrong claims, replayed).
   */
  InvalidClientMetadata = 'InvalidClientMetadata',
  /** A redirect URI the statement does not list, or one the provider refuses. */
  InvalidRedirectUri = 'InvalidRedirectUri',
  /** The software is already registered here (and not Deregistered). */
  AlreadyRegistered = 'AlreadyRegistered',
  /** No, or a wrong, registration access token; or the client no longer exists (RFC 7592 section 2). */
  InvalidToken = 'InvalidToken',
}

/** A refused registration; the filter answers it as `{ error, error_description }` (RFC 7591 section 3.2.2). */
export class RegistrationException extends CodedException<RegistrationExceptionCode> {
  constructor(
    code: RegistrationExceptionCode,
    readonly description: string,
  ) {
    super(code, description);
  }
}
