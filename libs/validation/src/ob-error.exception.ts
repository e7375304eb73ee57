import { OBError1 } from './ob-error-response.js';

/**
 * A request the OB API refuses with a known OB error: carries the HTTP status and the OBError1 list the
 * exception filter writes. Other transports (customer, admin) render it as a plain problem.
 */
export class ObErrorException extends Error {
  override name = 'ObErrorException';

  constructor(
    readonly status: number,
    readonly errors: OBError1[],
    message = errors[0]?.Message ?? 'The request was refused',
  ) {
    super(message);
  }

  static badRequest(errorCode: string, message: string, path?: string): ObErrorException {
    return new ObErrorException(400, [{ ErrorCode: errorCode, Message: message, ...(path ? { Path: path } : {}) }], message);
  }
}
