import { CodedException } from '@consentry/validation';

export enum ConsentExceptionCode {
  /** No such consent for this caller (also when it belongs to another TPP: never say which). */
  NotFound = 'NotFound',
  InvalidStatus = 'InvalidStatus',
  InvalidPermissions = 'InvalidPermissions',
  InvalidDate = 'InvalidDate',
  /** An account that is not the authorising PSU's. */
  AccountNotOwned = 'AccountNotOwned',
  NoAccountSelected = 'NoAccountSelected',
  Expired = 'Expired',
  /** A payment order whose Initiation is not its consent's, or a consent changed since the PSU approved it (U008). */
  ConsentMismatch = 'ConsentMismatch',
  /** The debtor account cannot pay this consent (another currency, a card, not the one the TPP named). */
  DebtorAccountUnfit = 'DebtorAccountUnfit',
  /** A VRP outside its consent's ControlParameters (U014). */
  ControlParametersBreached = 'ControlParametersBreached',
  /** The consent's TPP is suspended or deregistered: nothing is authorised for it. */
  TppNotActive = 'TppNotActive',
}

/** A consent rule broken by the caller. `path` names the offending field where there is one. */
export class ConsentException extends CodedException<ConsentExceptionCode> {
  constructor(
    code: ConsentExceptionCode,
    message: string,
    readonly path?: string,
    /** OB error code the API reports for it (U001, U002, U003, ...), when the rule has one. */
    readonly errorCode?: string,
  ) {
    super(code, message);
  }
}
