import { ObErrorCode, ObErrorException } from '@consentry/validation';

/**
 * OB's amount pattern admits 0 and 0.00; an InstructedAmount of nothing is refused (400 U002 on `path`)
 * by every call that takes one: payment and scheduled-payment consents, VRPs, and both funds checks.
 */
export function assertAmountAboveZero(amount: string, path: string): void {
  if (!(Number(amount) > 0)) {
    throw ObErrorException.badRequest(ObErrorCode.FieldInvalid, 'InstructedAmount.Amount must be more than zero', path);
  }
}
