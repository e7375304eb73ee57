/** Why an admin action on a TPP is refused. */
export enum TppAdminExceptionCode {
  /** No TPP has this client_id. */
  NotFound = 'NotFound',
  /** The TPP's status does not allow the action (e.g. reinstating an Active or a Deregistered TPP). */
  InvalidStatus = 'InvalidStatus',
  /** The command itself is malformed. */
  InvalidRequest = 'InvalidRequest',
}

/** A refused TPP admin action; answered as a problem body by TppAdminExceptionFilter. */
export class TppAdminException extends Error {
  override name = 'TppAdminException';

  constructor(
    readonly code: TppAdminExceptionCode,
    message: string,
  ) {
    super(message);
  }
}
