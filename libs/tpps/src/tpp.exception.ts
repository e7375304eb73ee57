import { CodedException } from '@consentry/validation';

/** Why a change to a TPP's lifecycle is refused. */
export enum TppExceptionCode {
  /** No TPP has this client_id. */
  NotFound = 'NotFound',
  /** The TPP's status does not allow the change (e.g. reinstating an Active or a Deregistered TPP). */
  InvalidStatus = 'InvalidStatus',
  /** The command itself is malformed. */
  InvalidRequest = 'InvalidRequest',
}

/** A refused change to a TPP; each transport's filter maps the code to its wire format. */
export class TppException extends CodedException<TppExceptionCode> {}
