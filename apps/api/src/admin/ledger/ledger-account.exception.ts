import { CodedException } from '@consentry/validation';

export enum LedgerAccountExceptionCode {
  /** No open account of that id in the built-in ledger (or the change changes nothing). */
  NotFound = 'NotFound',
  /** Another open account holds the identification asked for. */
  IdentificationTaken = 'IdentificationTaken',
}

/** A refused change to an account of the built-in ledger (admin API). */
export class LedgerAccountException extends CodedException<LedgerAccountExceptionCode> {}
