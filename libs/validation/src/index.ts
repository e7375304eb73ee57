export { buildObErrorResponse, ObErrorCode } from './ob-error-response.js';
export type { OBError1, OBErrorResponse1 } from './ob-error-response.js';
export { ObErrorException } from './ob-error.exception.js';
export {
  IsActiveCurrencyCode,
  isActiveCurrencyCode,
  IsObDateTime,
  isObDateTime,
  IsObPermission,
  IsObQueryDateTime,
  parseObQueryDateTime,
} from './ob-validators.js';
export { CodePointLength, countCodePoints, hasCodePointLength, MaxCodePoints, MinCodePoints } from './code-point-length.js';
export { createValidationPipe } from './validation-pipe.factory.js';
export { findUnstorableText, isUnstorableText } from './storable-text.js';
export { invalidIdError, isObId, ObIdPipe } from './ob-id.pipe.js';
export { isFapiAuthDate, isCustomerIpAddress } from './fapi-headers.js';
export { CodedException, unreachable } from './coded.exception.js';
export { findDuplicateMember } from './json-duplicate-member.js';
export { accountIdentificationProblem, identificationTextProblem, IsAccountIdentification, IsIdentificationText, writeOutUnprintable } from './account-identification.js';
