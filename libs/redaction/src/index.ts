export { redactForAudit, redactText, REDACTED } from './audit-redaction.js';
export { ibanChecks, isLuhnValid, maskAccountNumber, maskPan } from './mask.js';
export {
  allowedDirections,
  allowedFields,
  DIRECTION_PERMISSIONS,
  filterAccountByPermissions,
  filterBalanceByPermissions,
  filterByPermissions,
  filterTransactionByPermissions,
  isDirectionAllowed,
  PERMISSION_FIELDS,
  READ_PAN,
  transactionFilterFor,
} from './permission-rules.js';
export type { PermissionedResource, TransactionFilter } from './permission-rules.js';
