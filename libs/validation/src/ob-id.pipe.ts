import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';

import { ObErrorCode } from './ob-error-response.js';
import { ObErrorException } from './ob-error.exception.js';

// OB ids (AccountId, ConsentId, StatementId, ...) are Max40Text; ours are UUIDs or prefixed UUIDs. Refusing
// anything else up front keeps odd characters out of queries, logs and Links.
const OB_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
// Consent ids are `aac-<uuid>` (40 characters); a little room for other issuers' prefixes.
const MAX_CONSENT_ID = 128;

/** Whether `value` can be an OB resource id (1-40 letters, digits, `.`, `_`, `:`, `-`). */
export function isObId(value: unknown, maxLength = 40): value is string {
  return typeof value === 'string' && value.length <= maxLength && OB_ID.test(value);
}

/** The 400 (U002, Path = the parameter) for a malformed path id. */
export function invalidIdError(name: string): ObErrorException {
  return ObErrorException.badRequest(ObErrorCode.FieldInvalid, `${name} is not a valid identifier`, name);
}

/** Validates a path id parameter (its name is the OB Path of the error). */
@Injectable()
export class ObIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    const name = metadata.data ?? 'id';
    if (!isObId(value, name === 'ConsentId' ? MAX_CONSENT_ID : 40)) throw invalidIdError(name);
    return value;
  }
}
