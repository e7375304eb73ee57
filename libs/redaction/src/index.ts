export { redactForAudit, REDACTED } from './audit-redaction.js';
export { isLuhnValid, maskAccountNumber, maskPan } from './mask.js';
