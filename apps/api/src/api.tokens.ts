import type { ConsentStatusClock } from '@consentry/consents';

/** Injection tokens of the app's infrastructure (classes such as DataSource and Redis are their own tokens). */
export const API_CONFIG = Symbol('API_CONFIG');
export const KEY_MANAGEMENT = Symbol('KEY_MANAGEMENT');
/** The time, in epoch milliseconds, by which the TPP rate limit and the unattended-access window count. */
export const LIMIT_CLOCK = Symbol('LIMIT_CLOCK');
export type LimitClock = () => number;

/** The clock and awaiting limit every answer reads a consent's status against (accountAccessStatusAsOf, paymentConsentStatusAsOf). */
export const CONSENT_STATUS_CLOCK = Symbol('CONSENT_STATUS_CLOCK');
export type ConsentStatusClockOf = () => ConsentStatusClock;
