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
const PAYMENT_TRANSITIONS: Record<PaymentConsentKind, Record<PaymentConsentStatus, readonly PaymentConsentStatus[]>> = {
  'domestic-payment': { AWAU: ['AUTH', 'RJCT'], AUTH: ['COND'], COND: [], RJCT: [], CANC: [], EXPD: [] },
};

/** What an AWAU payment consent becomes when nobody authorised it in time: domestic consents have no EXPD. */
export const STALE_AWAITING_STATUS: Record<PaymentConsentKind, Extract<PaymentConsentStatus, 'RJCT' | 'EXPD'>> = {
  'domestic-payment': 'RJCT',
};

export function canPaymentConsentTransition(kind: PaymentConsentKind, from: PaymentConsentStatus, to: PaymentConsentStatus): boolean {
  return PAYMENT_TRANSITIONS[kind][from].includes(to);
}

export function assertPaymentConsentTransition(kind: PaymentConsentKind, from: PaymentConsentStatus, to: PaymentConsentStatus): void {
  if (!canPaymentConsentTransition(kind, from, to)) {
    throw new ConsentException(ConsentExceptionCode.InvalidStatus, `a ${kind} consent in status ${from} cannot become ${to}`);
  }
}
