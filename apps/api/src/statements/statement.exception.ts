/** A StatementId that is not one of the path account's statements (same answer for another PSU's). */
export class StatementException extends Error {
  override name = 'StatementException';
}
