import { ValidationError } from 'class-validator';

import { ObErrorCode, OBError1 } from './ob-error-response.js';
import { fieldPath, itemPath } from './ob-path.js';
import { OB_DATE_TIME_CONSTRAINT, OB_QUERY_DATE_TIME_CONSTRAINT } from './ob-validators.js';

// class-validator's constraint names that say "absent", and the one whitelisting reports.
const MISSING_CONSTRAINTS = new Set(['isDefined', 'isNotEmpty', 'arrayNotEmpty', 'arrayMinSize']);
const UNEXPECTED_CONSTRAINT = 'whitelistValidation';
const DATE_CONSTRAINTS = new Set([OB_DATE_TIME_CONSTRAINT, OB_QUERY_DATE_TIME_CONSTRAINT, 'isDateString', 'isISO8601', 'isDate']);
/** What class-validator (and findNonObjectItems) report for a nested value, or an item, that is not an object. */
export const NESTED_CONSTRAINT = 'nestedValidation';

/** The U005 refusal of a field the schema does not have; the name is in Path, never a value. */
export function unexpectedField(path: string): OBError1 {
  return { ErrorCode: ObErrorCode.FieldUnexpected, Message: `${path} is not a field of this resource`, Path: path };
}

/**
 * Picks the OB code the codeset's descriptions give a failed constraint: U005 for a field the schema
 * does not have, U004 for a required one that is absent, U003 for a malformed date, else U002. An array
 * item is never absent: a null item is U002, like any item that is not the object it should be.
 */
function codeFor(constraint: string, value: unknown, isItem: boolean): ObErrorCode {
  if (constraint === UNEXPECTED_CONSTRAINT) return ObErrorCode.FieldUnexpected;
  if (isItem) return ObErrorCode.FieldInvalid;
  if (value === undefined || value === null) return ObErrorCode.FieldMissing;
  if (MISSING_CONSTRAINTS.has(constraint) && Array.isArray(value) && value.length === 0) return ObErrorCode.FieldMissing;
  if (DATE_CONSTRAINTS.has(constraint)) return ObErrorCode.FieldInvalidDate;
  return ObErrorCode.FieldInvalid;
}

// The constraints that say what type a value must have.
const TYPE_CONSTRAINTS = new Set(['isArray', 'isObject', 'isString', 'isNumber', 'isInt', 'isBoolean', NESTED_CONSTRAINT]);

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

/**
 * Flattens class-validator's tree into OBError1 entries with OB paths: dotted fields (Data.Permissions),
 * an object item by its index (Data.ControlParameters.PeriodicLimits[0].Amount), a field name that is
 * empty or not one segment quoted (Risk[""]). A failed `each` constraint (an item of a list of strings)
 * is reported on the array itself. `value: true` must be set in the validator's `validationError`
 * options: an error's children are items when its value is an array.
 */
export function mapValidationErrors(errors: ValidationError[], parentPath = '', parentIsArray = false): OBError1[] {
  const out: OBError1[] = [];
  for (const error of errors) {
    const path = parentIsArray ? itemPath(parentPath, error.property) : fieldPath(parentPath, error.property);
    let wrongType = false;
    if (error.constraints && Object.keys(error.constraints).length > 0) {
      const [constraint, message] = pickConstraint(error.constraints, error.value);
      const errorCode = codeFor(constraint, error.value, parentIsArray);
      wrongType = TYPE_CONSTRAINTS.has(constraint);
      if (errorCode === ObErrorCode.FieldUnexpected) {
        out.push(unexpectedField(path));
      } else {
        // The property is named in Path; the message never echoes the submitted value.
        const text = constraint === NESTED_CONSTRAINT ? `${path} must be an object` : message.replace(error.property, path);
        out.push({ ErrorCode: errorCode, Message: text, Path: path });
      }
    }
    // A value of the wrong type (an array where an object is expected) is one error: what class-validator
    // found inside it would only describe the wrong value further.
    if (!wrongType && error.children && error.children.length > 0) {
      out.push(...mapValidationErrors(error.children, path, Array.isArray(error.value)));
    }
  }
  return out;
}
