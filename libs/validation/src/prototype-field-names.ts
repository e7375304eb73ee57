import { OBError1 } from './ob-error-response.js';
import { fieldPath, itemPath } from './ob-path.js';
import { unexpectedField } from './validation-error.mapper.js';

// class-transformer skips a key whose value on the new instance is a function (valueOf, toString, ...,
// all inherited from Object.prototype), and Nest's pipe deletes __proto__, constructor and prototype
// before it: either way the key vanishes before the whitelist could refuse it, so the body would be
// accepted without it. No DTO declares such a name (nor any method or getter).
const PROTOTYPE_NAMES = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/**
 * The U005 refusals for every own key of a plain object in `value` (at any depth, array items included)
 * that is a name of Object.prototype or `prototype`: fields no resource has, which the transformation to
 * DTOs would otherwise drop in silence. Paths as mapValidationErrors writes them.
 */
export function findPrototypeFieldNames(value: unknown, rootPath = ''): OBError1[] {
  const errors: OBError1[] = [];
  // Iterative, so a body of any depth is walked without recursion; children are pushed in reverse to
  // report the fields in the body's order. A refused key is pushed as its path alone.
  const stack: Array<[unknown, string] | string> = [[value, rootPath]];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (typeof entry === 'string') {
      errors.push(unexpectedField(entry));
      continue;
    }
    const [current, path] = entry;
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], itemPath(path, i)]);
    } else if (typeof current === 'object' && current !== null && !ArrayBuffer.isView(current)) {
      const keys = Object.keys(current);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        stack.push(PROTOTYPE_NAMES.has(key) ? fieldPath(path, key) : [(current as Record<string, unknown>)[key], fieldPath(path, key)]);
      }
    }
  }
  return errors;
}
