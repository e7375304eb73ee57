import { ConsentStatus } from '@consentry/database';

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
