import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { ValidationError, ValidatorOptions } from 'class-validator';

import { findNonObjectItems } from './non-object-items.js';
import { ObErrorCode } from './ob-error-response.js';
import { ObErrorException } from './ob-error.exception.js';
import { findPrototypeFieldNames } from './prototype-field-names.js';
import { findUnstorableText } from './storable-text.js';
import { mapValidationErrors } from './validation-error.mapper.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameOwnValues(a: object, b: object): boolean {
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return keysA.length === keysB.length && keysA.every((key) => Object.is((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function isEmptyQuery(value: Record<string, unknown>): boolean {
  for (const _ in value) return false;
  return true;
}

type Constructor = new () => object;

// Query DTO class -> whether the pipe's answer for an empty query is just `new Class()` (a promise
// while the first such query is being checked).
const emptyQueryAnswer = new WeakMap<Constructor, Promise<boolean>>();

/**
 * The global pipe: unknown fields are refused (not silently dropped, so a TPP learns its payload is
 * wrong), values are transformed to DTO instances, and every failure becomes an ObErrorException. A body,
 * query or path string (or key) with U+0000 or an unpaired surrogate is refused (U002), since PostgreSQL
 * cannot store it. A field named like a member of Object.prototype is refused (U005) as any unknown field,
 * and an item of an array of objects that is not an object (U002).
 */
class ObValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Most reads send no query at all (a first page). The pipe's answer for `{}` depends only on the
    // DTO class, so it is worked out once per class: when every parameter is optional it is a new
    // instance, and class-validator would spend more on `{}` than the whole guard chain.
    if (metadata.type === 'query' && isPlainObject(value) && isEmptyQuery(value) && typeof metadata.metatype === 'function' && metadata.metatype !== Object) {
      const metatype = metadata.metatype as Constructor;
      let answerIsNew = emptyQueryAnswer.get(metatype);
      if (answerIsNew === undefined) {
        answerIsNew = super.transform({}, metadata).then(
          (answer: unknown) => answer instanceof metatype && sameOwnValues(answer, new metatype()),
          () => false,
        );
        emptyQueryAnswer.set(metatype, answerIsNew);
      }
      if (await answerIsNew) return new metatype();
    }
    // A body that is not a JSON object cannot be read as any of our resources (U010), whatever its fields.
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object && !isPlainObject(value)) {
      throw ObErrorException.badRequest(ObErrorCode.ResourceInvalidFormat, 'The request body must be a JSON object of the documented schema');
    }
    // Every body, query string and path parameter (OB, customer and admin APIs alike) passes here after
    // the guards, so this is where a string PostgreSQL cannot store is refused (U002 with its Path),
    // before any DTO, use case or SQL parameter sees it.
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      const unstorable = findUnstorableText(value, metadata.data ?? '');
      if (unstorable.length > 0) throw new ObErrorException(400, unstorable);
    }
    // The transformation to the DTO would drop such keys before the whitelist sees them, so they are
    // refused here, before it.
    if (this.toValidate(metadata)) {
      const prototypeNames = findPrototypeFieldNames(value, metadata.data ?? '');
      if (prototypeNames.length > 0) throw new ObErrorException(400, prototypeNames);
    }
    return super.transform(value, metadata);
  }

  // class-validator would recurse into an item that is an array and take it for more items; such items
  // (and null or primitive ones) are reported first, as the only errors.
  protected override async validate(object: object, validatorOptions?: ValidatorOptions): Promise<ValidationError[]> {
    const nonObjectItems = findNonObjectItems(object);
    return nonObjectItems.length > 0 ? nonObjectItems : super.validate(object, validatorOptions);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new ObValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    // The pipe checks the body is an object itself; class-validator would also refuse an empty class such as Risk.
    forbidUnknownValues: false,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: true },
    exceptionFactory: (errors: ValidationError[]) => {
      const obErrors = mapValidationErrors(errors);
      if (obErrors.length === 0) {
        return ObErrorException.badRequest(ObErrorCode.ResourceInvalidFormat, 'The request does not match the documented schema');
      }
      return new ObErrorException(400, obErrors);
    },
  });
}
