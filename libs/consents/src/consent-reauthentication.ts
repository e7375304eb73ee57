import { AccountAccessConsentEntity, ConsentJurisdiction } from '@consentry/database';

/** OB v4.0 error code for "the PSU must re-authenticate before data can be accessed". */
export const REAUTHENTICATE_ERROR_CODE = 'U028';

/** Days after the last (re-)authentication at which access stops until the PSU re-confirms. */
export interface ReauthenticationPolicy {
  periodDays: Record<ConsentJurisdiction, number>;
}

/**
 * EU: PSD2 RTS Art. 10a (as amended by Delegated Regulation 2022/2360), strong customer authentication
 * at least every 180 days. UK: the FCA's SCA-RTS Art. 10A, the TPP reconfirms with the customer every
 * 90 days.
 */
export const DEFAULT_REAUTHENTICATION_POLICY: ReauthenticationPolicy = { periodDays: { EU: 180, UK: 90 } };

export type ReauthenticationSubject = Pick<
  AccountAccessConsentEntity,
  'status' | 'jurisdiction' | 'authorisedAt' | 'reauthenticatedAt'
>;

const DAY_MS = 86_400_000;

/** When the consent falls due for re-authentication, or null when it is not an authorised consent. */
export function reauthenticationDueAt(consent: ReauthenticationSubject, policy = DEFAULT_REAUTHENTICATION_POLICY): Date | null {
  if (consent.status !== 'AUTH') return null;
  const since = consent.reauthenticatedAt ?? consent.authorisedAt;
  if (since === null) return null;
  const days = policy.periodDays[consent.jurisdiction];
  if (!Number.isFinite(days) || days <= 0) throw new RangeError(`no re-authentication period for ${consent.jurisdiction}`);
  return new Date(since.getTime() + days * DAY_MS);
}

/**
 * Whether data access under this consent must be refused with U028 until the PSU re-confirms. The
 * API's consent guard calls it on every call, after the status and expiry checks.
 */
export function needsReauthentication(
  consent: ReauthenticationSubject,
  policy: ReauthenticationPolicy = DEFAULT_REAUTHENTICATION_POLICY,
  now: Date = new Date(),
): boolean {
  const due = reauthenticationDueAt(consent, policy);
  return due !== null && now.getTime() >= due.getTime();
}
