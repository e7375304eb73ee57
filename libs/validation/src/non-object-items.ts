import { getMetadataStorage, ValidationError, ValidationTypes } from 'class-validator';

import { NESTED_CONSTRAINT } from './validation-error.mapper.js';

type Condition = (object: object, value: unknown) => boolean;

interface NestedProperty {
  name: string;
  /** `@ValidateNested({ each: true })`: the property holds an array of objects of its @Type. */
  each: boolean;
  /** Its @IsOptional / @ValidateIf conditions: class-validator looks at the value only when all hold. */
  conditions: Condition[];
}

// DTO class -> the properties it validates as nested objects (its own and inherited ones).
const nestedPropertiesOf = new WeakMap<object, NestedProperty[]>();

function nestedProperties(target: object): NestedProperty[] {
  const constructor = target.constructor;
  let properties = nestedPropertiesOf.get(constructor);
  if (properties === undefined) {
    const metadatas = getMetadataStorage().getTargetValidationMetadatas(constructor, '', false, false);
    const byName = new Map<string, NestedProperty>();
    for (const metadata of metadatas) {
      if (metadata.type !== ValidationTypes.NESTED_VALIDATION) continue;
      const property = byName.get(metadata.propertyName) ?? { name: metadata.propertyName, each: false, conditions: [] };
      property.each ||= metadata.each;
      byName.set(metadata.propertyName, property);
    }
    for (const metadata of metadatas) {
      const property = byName.get(metadata.propertyName);
      if (property && metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) property.conditions.push(metadata.constraints[0] as Condition);
    }
    properties = [...byName.values()];
    nestedPropertiesOf.set(constructor, properties);
  }
  return properties;
}

function isObjectItem(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validationError(property: string, value: unknown, children: ValidationError[], constraints?: Record<string, string>): ValidationError {
  const error = new ValidationError();
  error.property = property;
  error.value = value;
  error.children = children;
  if (constraints) error.constraints = constraints;
  return error;
}

/**
 * The items of arrays of DTOs (`@ValidateNested({ each: true })`) that are not objects, as
 * class-validator's errors for them (constraint `nestedValidation`, under their property and index),
 * in a DTO instance class-transformer has built. class-validator itself recurses into an item that is an
 * array, so `[[]]` or `[[{...}]]` would pass as an array of objects and reach the use case (a 500), and
 * it reports a null item as absent. Walks only the properties DTOs declare nested, so its depth is the
 * DTOs'.
 */
export function findNonObjectItems(object: object): ValidationError[] {
  const errors: ValidationError[] = [];
  for (const property of nestedProperties(object)) {
    const value: unknown = (object as Record<string, unknown>)[property.name];
    if (!property.conditions.every((condition) => condition(object, value))) continue;
    const children: ValidationError[] = [];
    if (Array.isArray(value)) {
      // A single nested object given as an array is refused by its @IsObject.
      if (!property.each) continue;
      value.forEach((item: unknown, index) => {
        const key = String(index);
        if (!isObjectItem(item)) {
          children.push(validationError(key, item, [], { [NESTED_CONSTRAINT]: `${key} must be an object` }));
        } else {
          const inner = findNonObjectItems(item);
          if (inner.length > 0) children.push(validationError(key, item, inner));
        }
      });
    } else if (isObjectItem(value)) {
      children.push(...findNonObjectItems(value));
    }
    if (children.length > 0) errors.push(validationError(property.name, value, children));
  }
  return errors;
}
