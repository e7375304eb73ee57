/** The UK OB event types the bank notifies (docs/monitoring.md, "TPP event notifications"). */
export const OB_EVENT_TYPES = [
  /** A payment order's status changed (payment.submitted, payment.status-changed). */
  'urn:uk:org:openbanking:events:resource-update',
  /** A consent revoked by the PSU, or expired (consent.revoked by a PSU, consent.expired). */
  'urn:uk:org:openbanking:events:consent-authorization-revoked',
  /** An account of an authorised consent closed or re-identified in the ledger (not fired yet: see the docs). */
  'urn:uk:org:openbanking:events:account-access-consent-linked-account-update',
] as const;

export type ObEventType = (typeof OB_EVENT_TYPES)[number];

export function isObEventType(value: string): value is ObEventType {
  return (OB_EVENT_TYPES as readonly string[]).includes(value);
}

/** The event notification API's version, the only one a subscription may name. */
export const OB_EVENT_VERSION = '4.0';

/** Redis channel (under the platform's prefix) on which new events of a TPP are announced to waiting polls. */
export function eventAnnouncementChannel(redisPrefix: string): string {
  return `${redisPrefix}:events:new`;
}
