import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { ValidationError } from 'class-validator';

import { ObErrorCode } from './ob-error-response.js';
import { ObErrorException } from './ob-error.exception.js';
import { mapValidationErrors } from './validation-error.mapper.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The global pipe: unknown fields are refused (not silently dropped, so a TPP learns its payload is
 * wrong), values are transformed to DTO instances, and every failure becomes an ObErrorException.
 */
class ObValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A body that is not a JSON object cannot be read as any of our resources (U010), whatever its fields.
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object && !isPlainObject(value)) {
      throw ObErrorException.badRequest(ObErrorCode.ResourceInvalidFormat, 'The request body must be a JSON object of the documented schema');
    }
    return super.transform(value, metadata);
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
