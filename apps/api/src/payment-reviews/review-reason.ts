import { countCodePoints } from '@consentry/validation';
import { ValidateBy, ValidationOptions } from 'class-validator';

/** How long an admin's reason for a release or a reject is, in code points, once trimmed. */
export const REVIEW_REASON_LENGTH = { min: 3, max: 500 } as const;

// What carries no word of a reason: blanks of every script, invisible format characters (zero-width space
// and joiners, the byte order mark), control characters, and combining marks standing on nothing.
const NOT_A_WORD = /[\p{White_Space}\p{Cf}\p{Cc}\p{M}]/gu;

/**
 * The reason as kept with the review (trimmed), or null when it is not one: fewer than 3 code points that
 * are neither blank nor invisible, or more than 500 in all. The admin API and the admin console's forms
 * both read it here, so a four-eyes release always carries a justification someone can read.
 */
export function reviewReasonOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  if (countCodePoints(trimmed) > REVIEW_REASON_LENGTH.max) return null;
  return countCodePoints(trimmed.replace(NOT_A_WORD, '')) >= REVIEW_REASON_LENGTH.min ? trimmed : null;
}

/** A review's reason as reviewReasonOf reads it (400 otherwise). */
export function IsReviewReason(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isReviewReason',
      validator: {
        validate: (value: unknown) => reviewReasonOf(value) !== null,
        defaultMessage: () =>
          `$property must hold ${REVIEW_REASON_LENGTH.min} to ${REVIEW_REASON_LENGTH.max} characters, at least ${REVIEW_REASON_LENGTH.min} of them neither blank nor invisible`,
      },
    },
    validationOptions,
  );
}
