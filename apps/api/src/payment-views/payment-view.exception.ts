import { CodedException } from '@consentry/validation';

export enum PaymentViewExceptionCode {
  /** No such payment (or not one this person may see). */
  NotFound = 'NotFound',
  /** A page cursor this API did not issue. */
  InvalidCursor = 'InvalidCursor',
}

/** A refused read of the people's payment listings (customer and admin APIs, dashboard, console). */
export class PaymentViewException extends CodedException<PaymentViewExceptionCode> {}
