export enum AuditExportExceptionCode {
  /** More entries match than one export may carry. */
  TooLarge = 'TooLarge',
}

/** A refused export of the audit log. */
export class AuditExportException extends Error {
  override name = 'AuditExportException';

  constructor(
    readonly code: AuditExportExceptionCode,
    message: string,
  ) {
    super(message);
  }
}
