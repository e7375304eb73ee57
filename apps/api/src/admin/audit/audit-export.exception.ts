import { CodedException } from '@consentry/validation';

export enum AuditExportExceptionCode {
  /** More entries match than one export may carry. */
  TooLarge = 'TooLarge',
}

/** A refused export of the audit log. */
export class AuditExportException extends CodedException<AuditExportExceptionCode> {}
