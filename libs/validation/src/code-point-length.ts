import { buildMessage, ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';

/** Constraint names of the length rules; the error mapper answers them U002 with the field's Path, as any invalid value. */
export const CODE_POINT_LENGTH_CONSTRAINT = 'codePointLength';
export const MAX_CODE_POINTS_CONSTRAINT = 'maxCodePoints';
export const MIN_CODE_POINTS_CONSTRAINT = 'minCodePoints';

/**
 * The length of `value` in Unicode code points, as the OB JSON Schemas' maxLength/minLength count it
 * (JSON Schema 2020-12 6.3.1; ajv's ucs2length): a surrogate pair is one, a variation selector or a
 * combining mark is one, and so is a lone surrogate (which the validation pipe refuses anyway).
 */
export function countCodePoints(value: string): number {
  let count = value.length;
  for (let i = 0; i < value.length - 1; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

/** Whether `value` is a string of `min` to `max` code points (either bound may be left out). */
export function hasCodePointLength(value: unknown, min?: number, max?: number): value is string {
  if (typeof value !== 'string') return false;
  // A string never has more code points than UTF-16 units: under a bare maximum most values need no count.
  if (min === undefined && (max === undefined || value.length <= max)) return true;
  const count = countCodePoints(value);
  return (min === undefined || count >= min) && (max === undefined || count <= max);
}

// The values a failed check looked at: the field's value, or each item when the rule has `each`.
function checkedValues(args: ValidationArguments | undefined, each: boolean): unknown[] {
  const value = args?.value;
  if (!each) return [value];
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...(value as Set<unknown>)];
  if (value instanceof Map) return [...(value as Map<unknown, unknown>).values()];
  return [value];
}

// class-validator's own wording ("must be shorter than or equal to 35 characters"), so answers read as
// before; which bound failed is worked out in code points, like the check.
function lengthMessage(eachPrefix: string, args: ValidationArguments | undefined, min: number, max: number | undefined): string {
  const lengths = checkedValues(args, eachPrefix !== '').map((item) => (typeof item === 'string' ? countCodePoints(item) : undefined));
  if (lengths.some((length) => length === undefined || length < min)) {
    return `${eachPrefix}$property must be longer than or equal to ${min} characters`;
  }
  if (max !== undefined && lengths.some((length) => length !== undefined && length > max)) {
    return `${eachPrefix}$property must be shorter than or equal to ${max} characters`;
  }
  return `${eachPrefix}$property must be longer than or equal to ${min} and shorter than or equal to ${max} characters`;
}

/**
 * A string of `min` to `max` Unicode code points: class-validator's Length with the OB schemas' count.
 * (validator.js's isLength, behind Length, MaxLength and MinLength, does not count U+FE0E/U+FE0F at all,
 * so 35 "a\uFE0F" would pass a 35-character limit.)
 */
export function CodePointLength(min: number, max?: number, validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: CODE_POINT_LENGTH_CONSTRAINT,
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => hasCodePointLength(value, min, max),
        defaultMessage: buildMessage((eachPrefix, args) => lengthMessage(eachPrefix, args, min, max), validationOptions),
      },
    },
    validationOptions,
  );
}

/** A string of at most `max` Unicode code points: class-validator's MaxLength with the OB schemas' count. */
export function MaxCodePoints(max: number, validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: MAX_CODE_POINTS_CONSTRAINT,
      constraints: [max],
      validator: {
        validate: (value: unknown) => hasCodePointLength(value, undefined, max),
        defaultMessage: buildMessage((eachPrefix) => `${eachPrefix}$property must be shorter than or equal to ${max} characters`, validationOptions),
      },
    },
    validationOptions,
  );
}

/** A string of at least `min` Unicode code points: class-validator's MinLength with the OB schemas' count. */
export function MinCodePoints(min: number, validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: MIN_CODE_POINTS_CONSTRAINT,
      constraints: [min],
      validator: {
        validate: (value: unknown) => hasCodePointLength(value, min),
        defaultMessage: buildMessage((eachPrefix) => `${eachPrefix}$property must be longer than or equal to ${min} characters`, validationOptions),
      },
    },
    validationOptions,
  );
}
