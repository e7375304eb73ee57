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

/** What a consent's status is read against: the clock, and how long a consent may await authorisation. */
export interface ConsentStatusClock {
  now: Date;
  awaitingMaxAgeSeconds: number;
}

/** A consent's status as of an instant, and when it took it. */
export interface StatusAsOf<S extends string> {
  status: S;
  statusUpdateDateTime: Date;
}

interface StoredStatus<S extends string> {
  status: S;
  creationDateTime: Date;
  statusUpdateDateTime: Date;
  expirationDateTime: Date | null;
}

/**
 * The status the rules give a consent at `clock.now`: the stored one, unless its end has come and the
 * sweep (the worker's expiry run) has not written it yet. A live consent (AWAU or AUTH) past its
 * ExpirationDateTime is `onExpiry` from that instant, when its kind expires; an AWAU one that waited too
 * long is `whenStale` from its cutoff; the earlier end wins. The refusals already follow these rules at
 * once (isConsentLive, awaitedTooLong): every answer that shows a status reads it here, so a TPP or a PSU
 * never reads AUTH for a consent that is refused (until 7 December 2026 the stored status was shown until
 * the sweep ran, as long as the worker was down).
 */
function statusAsOf<S extends string>(consent: StoredStatus<S>, clock: ConsentStatusClock, onExpiry: S | null, whenStale: S): StatusAsOf<S> {
  const ends: Array<StatusAsOf<S>> = [];
  const live = consent.status === 'AWAU' || consent.status === 'AUTH';
  if (live && onExpiry !== null && consent.expirationDateTime !== null && consent.expirationDateTime <= clock.now) {
    ends.push({ status: onExpiry, statusUpdateDateTime: consent.expirationDateTime });
  }
  if (awaitedTooLong(consent, clock.now, clock.awaitingMaxAgeSeconds)) {
    ends.push({ status: whenStale, statusUpdateDateTime: new Date(consent.creationDateTime.getTime() + clock.awaitingMaxAgeSeconds * 1000) });
  }
  ends.sort((a, b) => a.statusUpdateDateTime.getTime() - b.statusUpdateDateTime.getTime());
  return ends[0] ?? { status: consent.status, statusUpdateDateTime: consent.statusUpdateDateTime };
}

/** An account-access consent's status at `clock.now` (statusAsOf): EXPD past its end or awaited too long. */
export function accountAccessStatusAsOf(consent: StoredStatus<ConsentStatus>, clock: ConsentStatusClock): StatusAsOf<ConsentStatus> {
  return statusAsOf(consent, clock, 'EXPD', 'EXPD');
}

/**
 * A payment consent's status at `clock.now` (statusAsOf): a VRP or funds-confirmation consent is EXPD past
 * its end; one awaited too long is its kind's STALE_AWAITING_STATUS (RJCT where the kind has no EXPD).
 */
export function paymentConsentStatusAsOf(consent: StoredStatus<PaymentConsentStatus> & { kind: PaymentConsentKind }, clock: ConsentStatusClock): StatusAsOf<PaymentConsentStatus> {
  return statusAsOf(consent, clock, EXPIRING_PAYMENT_CONSENT_KINDS.includes(consent.kind) ? 'EXPD' : null, STALE_AWAITING_STATUS[consent.kind]);
}
