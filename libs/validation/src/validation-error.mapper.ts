import { ValidationError } from 'class-validator';

import { ObErrorCode, OBError1 } from './ob-error-response.js';
import { OB_DATE_TIME_CONSTRAINT, OB_QUERY_DATE_TIME_CONSTRAINT } from './ob-validators.js';

// class-validator's constraint names that say "absent", and the one whitelisting reports.
const MISSING_CONSTRAINTS = new Set(['isDefined', 'isNotEmpty', 'arrayNotEmpty', 'arrayMinSize']);
const UNEXPECTED_CONSTRAINT = 'whitelistValidation';
const DATE_CONSTRAINTS = new Set([OB_DATE_TIME_CONSTRAINT, OB_QUERY_DATE_TIME_CONSTRAINT, 'isDateString', 'isISO8601', 'isDate']);

/**
 * Picks the OB code the codeset's descriptions give a failed constraint: U005 for a field the schema
 * does not have, U004 for a required one that is absent, U003 for a malformed date, else U002.
 */
function codeFor(constraint: string, value: unknown): ObErrorCode {
  if (constraint === UNEXPECTED_CONSTRAINT) return ObErrorCode.FieldUnexpected;
  if (value === undefined || value === null) return ObErrorCode.FieldMissing;
  if (MISSING_CONSTRAINTS.has(constraint) && Array.isArray(value) && value.length === 0) return ObErrorCode.FieldMissing;
  if (DATE_CONSTRAINTS.has(constraint)) return ObErrorCode.FieldInvalidDate;
  return ObErrorCode.FieldInvalid;
}

// The constraints that say what type a value must have.
const TYPE_CONSTRAINTS = new Set(['isArray', 'isObject', 'isString', 'isNumber', 'isInt', 'isBoolean']);

// When a field is absent every other constraint on it fails too; one U004 says it all. A value of the
// wrong type fails the limits of the right one too (a string where lines are expected is not "more than
// 10 elements"): its type is named.
function pickConstraint(constraints: Record<string, string>, value: unknown): [string, string] {
  const entries = Object.entries(constraints);
  if (value === undefined || value === null) {
    const missing = entries.find(([name]) => MISSING_CONSTRAINTS.has(name));
    if (missing) return missing;
  }
  return entries.find(([name]) => TYPE_CONSTRAINTS.has(name)) ?? entries[0]!;
}

/** Flattens class-validator's tree into OBError1 entries with dotted JSON paths (Data.Permissions). */
export function mapValidationErrors(errors: ValidationError[], parentPath = ''): OBError1[] {
  const out: OBError1[] = [];
  for (const error of errors) {
    const path = parentPath ? `${parentPath}.${error.property}` : error.property;
    if (error.constraints && Object.keys(error.constraints).length > 0) {
      const [constraint, message] = pickConstraint(error.constraints, error.value);
      const errorCode = codeFor(constraint, error.value);
      out.push({
        ErrorCode: errorCode,
        // The property is named in Path; the message never echoes the submitted value.
        Message: errorCode === ObErrorCode.FieldUnexpected ? `${path} is not a field of this resource` : message.replace(error.property, path),
        Path: path,
      });
    }
    if (error.children && error.children.length > 0) {
      // Array items are reported on the array itself (Data.Permissions), as OB paths have no indexes.
      const childPath = /^\d+$/.test(error.property) ? parentPath : path;
      out.push(...mapValidationErrors(error.children, childPath));
    }
  }
  return out;
}
