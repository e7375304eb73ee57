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

// v4.0 payment consents: AWAU -> AUTH -> COND once its payment order consumes it, or RJCT (the PSU
// denied it, or it waited too long). A domestic payment consent has no EXPD and cannot be revoked.
// A VRP consent is never consumed: it stays AUTH for its many payments until the PSU or the TPP
// revokes it (CANC) or its ValidToDateTime passes (EXPD).
const PAYMENT_TRANSITIONS: Record<PaymentConsentKind, Record<PaymentConsentStatus, readonly PaymentConsentStatus[]>> = {
  'domestic-payment': { AWAU: ['AUTH', 'RJCT'], AUTH: ['COND'], COND: [], RJCT: [], CANC: [], EXPD: [] },
  'domestic-vrp': { AWAU: ['AUTH', 'RJCT', 'CANC', 'EXPD'], AUTH: ['CANC', 'EXPD'], COND: [], RJCT: [], CANC: [], EXPD: [] },
};

/** What an AWAU payment consent becomes when nobody authorised it in time: domestic consents have no EXPD. */
export const STALE_AWAITING_STATUS: Record<PaymentConsentKind, Extract<PaymentConsentStatus, 'RJCT' | 'EXPD'>> = {
  'domestic-payment': 'RJCT',
  'domestic-vrp': 'EXPD',
};

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
