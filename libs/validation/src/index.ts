export { buildObErrorResponse, ObErrorCode } from './ob-error-response.js';
export type { OBError1, OBErrorResponse1 } from './ob-error-response.js';
export { ObErrorException } from './ob-error.exception.js';
export {
  IsObDateTime,
  IsObPermission,
  IsObQueryDateTime,
  isObDateTime,
  OB_DATE_TIME_CONSTRAINT,
  OB_PERMISSION_CONSTRAINT,
  OB_QUERY_DATE_TIME_CONSTRAINT,
  parseObQueryDateTime,
} from './ob-validators.js';
export { mapValidationErrors } from './validation-error.mapper.js';
export { createValidationPipe } from './validation-pipe.factory.js';
export { invalidIdError, isObId, ObIdPipe } from './ob-id.pipe.js';
export { isFapiAuthDate, isCustomerIpAddress } from './fapi-headers.js';
