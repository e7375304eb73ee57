import { ObErrorCode, OBError1 } from './ob-error-response.js';
import { fieldPath, itemPath } from './ob-path.js';

// PostgreSQL text and jsonb cannot hold U+0000 (22P05) nor a UTF-16 surrogate without its pair (JSON
// allows both as \u escapes): such a string would pass every DTO and fail at the INSERT with a 500.
// Without the `u` flag the pattern reads code units, so a lone half of a pair is what it finds.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `text` holds a character PostgreSQL text and jsonb refuse: U+0000, or an unpaired surrogate. */
export function isUnstorableText(text: string): boolean {
  return UNSTORABLE.test(text);
}

/**
 * The U002 refusals for every string (and object key) of `value` that PostgreSQL cannot store, with the
 * OB Path of its field as mapValidationErrors writes it (a string item reported on its array, an object
 * item by its index). A bad key is reported on the object that holds it: the key itself is never echoed,
 * nor is any value.
 */
export function findUnstorableText(value: unknown, rootPath = ''): OBError1[] {
  const paths = new Set<string>();
  const keyPaths = new Set<string>();
  // Iterative, so a body of any depth is walked without recursion; children are pushed in reverse to
  // report the fields in the body's order.
  const stack: Array<[unknown, string]> = [[value, rootPath]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (isUnstorableText(current)) paths.add(path);
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) {
        const item: unknown = current[i];
        stack.push([item, typeof item === 'object' && item !== null ? itemPath(path, i) : path]);
      }
    } else if (typeof current === 'object' && current !== null && !ArrayBuffer.isView(current)) {
      const entries = Object.entries(current);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        if (isUnstorableText(key)) keyPaths.add(path);
        else stack.push([child, fieldPath(path, key)]);
      }
    }
  }
  const errors: OBError1[] = [];
  for (const path of keyPaths) {
    const where = path || 'The request body';
    errors.push({ ErrorCode: ObErrorCode.FieldInvalid, Message: `${where} has a field name with U+0000 or an unpaired surrogate`, ...(path ? { Path: path } : {}) });
  }
  for (const path of paths) {
    const where = path || 'The request body';
    errors.push({ ErrorCode: ObErrorCode.FieldInvalid, Message: `${where} must not contain U+0000 or an unpaired surrogate`, ...(path ? { Path: path } : {}) });
  }
  return errors;
}
