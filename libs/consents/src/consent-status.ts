import { ConsentStatus, PaymentConsentKind, PaymentConsentStatus } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';

// v4.0 consent lifecycle (ISO codes): only AWAU and AUTH are live; the rest are final.
const TRANSITIONS: Record<ConsentStatus, readonly ConsentStatus[]> = {
  AWAU: ['AUTH', 'RJCT', 'CANC', 'EXPD'],
  AUTH: ['CANC', 'EXPD'],
  RJCT: [],
  CANC: [],
  EXPD: [],
};

export function canTransition(from: ConsentStatus, to: ConsentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: ConsentStatus, to: ConsentStatus): void {
  if (!canTransition(from, to)) {
    throw new ConsentException(ConsentExceptionCode.InvalidStatus, `a consent in status ${from} cannot become ${to}`);
  }
}

/** The statuses a consent may leave for `to`, in the lifecycle's order: what a sweep to `to` may select. */
export function statusesThatMayBecome(to: ConsentStatus): ConsentStatus[] {
  return (Object.keys(TRANSITIONS) as ConsentStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

// v4.0 payment consents: AWAU -> AUTH -> COND once its payment order consumes it, or RJCT (the PSU
// denied it, or it waited too long). A domestic payment consent has no EXPD and cannot be revoked.
// A funds-confirmation consent is never consumed (the CBPII asks as often as it needs while it is AUTH),
// nor is a VRP consent (it stays AUTH for its many payments): the TPP or the PSU ends it (CANC) or it
// expires at its end date (EXPD).
const PAYMENT_TRANSITIONS: Record<PaymentConsentKind, Record<PaymentConsentStatus, readonly PaymentConsentStatus[]>> = {
  'domestic-payment': { AWAU: ['AUTH', 'RJCT'], AUTH: ['COND'], COND: [], RJCT: [], CANC: [], EXPD: [] },
  // A scheduled payment's consent is consumed by its one order at once; the order then waits for its date.
  'domestic-scheduled-payment': { AWAU: ['AUTH', 'RJCT'], AUTH: ['COND'], COND: [], RJCT: [], CANC: [], EXPD: [] },
  'funds-confirmation': { AWAU: ['AUTH', 'RJCT', 'CANC', 'EXPD'], AUTH: ['CANC', 'EXPD'], COND: [], RJCT: [], CANC: [], EXPD: [] },
  'domestic-vrp': { AWAU: ['AUTH', 'RJCT', 'CANC', 'EXPD'], AUTH: ['CANC', 'EXPD'], COND: [], RJCT: [], CANC: [], EXPD: [] },
  // A standing order consent is consumed by its one order (COND) like a domestic payment's; the order then
  // runs many times on its own, so the grant needs no refresh token (not a recurring consent).
  'domestic-standing-order': { AWAU: ['AUTH', 'RJCT'], AUTH: ['COND'], COND: [], RJCT: [], CANC: [], EXPD: [] },
};

/**
 * The creation time at or before which a consent still AWAU at `now` has waited too long
 * (CONSENT_AWAITING_MAX_AGE_SECONDS): the sweeps end such consents, and none is shown or approved.
 */
export function awaitingCutoff(now: Date, awaitingMaxAgeSeconds: number): Date {
  return new Date(now.getTime() - awaitingMaxAgeSeconds * 1000);
}

/**
 * Whether a consent has waited for authorisation longer than it may: still AWAU and created at or before
 * awaitingCutoff. Such a consent is refused as expired at once, whether or not the sweep has ended it yet.
 */
export function awaitedTooLong(consent: { status: string; creationDateTime: Date }, now: Date, awaitingMaxAgeSeconds: number): boolean {
  return consent.status === 'AWAU' && consent.creationDateTime <= awaitingCutoff(now, awaitingMaxAgeSeconds);
}

/** What an AWAU payment consent becomes when nobody authorised it in time: domestic consents have no EXPD. */
export const STALE_AWAITING_STATUS: Record<PaymentConsentKind, Extract<PaymentConsentStatus, 'RJCT' | 'EXPD'>> = {
  'domestic-payment': 'RJCT',
  'domestic-scheduled-payment': 'RJCT',
  'funds-confirmation': 'EXPD',
  'domestic-vrp': 'EXPD',
  'domestic-standing-order': 'RJCT',
};

/** The kinds whose consents end EXPD at their ExpirationDateTime (in the expiry sweep and at once in the API). */
export const EXPIRING_PAYMENT_CONSENT_KINDS: readonly PaymentConsentKind[] = (Object.keys(PAYMENT_TRANSITIONS) as PaymentConsentKind[]).filter((kind) =>
  PAYMENT_TRANSITIONS[kind].AUTH.includes('EXPD'),
);

/** Whether a payment consent of `kind` can run many payments (stays AUTH) rather than being consumed by one. */
export function isRecurringPaymentConsent(kind: PaymentConsentKind): boolean {
  return canPaymentConsentTransition(kind, 'AUTH', 'EXPD');
}

export function canPaymentConsentTransition(kind: PaymentConsentKind, from: PaymentConsentStatus, to: PaymentConsentStatus): boolean {
  return PAYMENT_TRANSITIONS[kind][from].includes(to);
}

export function assertPaymentConsentTransition(kind: PaymentConsentKind, from: PaymentConsentStatus, to: PaymentConsentStatus): void {
  if (!canPaymentConsentTransition(kind, from, to)) {
    throw new ConsentException(ConsentExceptionCode.InvalidStatus, `a ${kind} consent in status ${from} cannot become ${to}`);
  }
}
