/** Every kind of audited act. Adding one here is the whole contract change; consumers switch over it. */
export const AUDIT_EVENT_TYPES = [
  'consent.created',
  'consent.authorised',
  'consent.reauthenticated',
  'consent.rejected',
  'consent.revoked',
  'consent.expired',
  /**
   * An account of an authorised account-access consent was closed or re-identified at its bank: one entry
   * per such consent (for its TPP's linked-account-update event), with the change and the AccountId, never
   * the new identification.
   */
  'consent.linked-account-changed',
  /** A payment consent used by its payment order (AUTH -> COND). */
  'consent.consumed',
  /** A payment order accepted for execution, with its first status. */
  'payment.submitted',
  /** A payment order's status moved on (executed, rejected, settled). */
  'payment.status-changed',
  /** A CBPII asked whether an account covers an amount (amount, currency and the yes/no answer; never a balance). */
  'funds.confirmed',
  /** A VRP refused because it breaks its consent's ControlParameters (U014): which one, and the amount. */
  'payment.refused-by-control-parameter',
  /** The risk engine scored a payment before execution: allow, hold or reject, with the rules that fired and their scores. */
  'payment.risk-assessed',
  /** A first administrator released a held payment under four-eyes; it stays PDNG until a second one confirms. */
  'payment.review.release-requested',
  /** A held payment released for execution by an administrator (the second one under four-eyes); the reason stays on the review row. */
  'payment.review.released',
  /** A held payment rejected by an administrator; the reason stays on the review row. */
  'payment.review.rejected',
  /** A held payment nobody reviewed within REVIEW_TIMEOUT_MINUTES, rejected by the system. */
  'payment.review.expired',
  /** An alert recorded for a PSU (its kind and the audit event it came from). */
  'alert.recorded',
  /** An alert's email accepted by the SMTP server (never the address in clear). */
  'alert.emailed',
  /** A PSU changed its alert preferences (channels, payment threshold). */
  'alert.preferences-changed',
  /** A TPP created its event subscription (callback URL host and event types). */
  'event.subscription-created',
  'event.subscription-updated',
  'event.subscription-deleted',
  /** An event notification delivered to a TPP's callback, or acknowledged through polling. */
  'event.delivered',
  /** An event never delivered nor acknowledged within 7 days, dropped. */
  'event.dropped',
  'data.accessed',
  'psu.login.succeeded',
  'psu.login.failed',
  'psu.locked',
  'admin.login.succeeded',
  'admin.login.failed',
  /** An admin's request refused for a role the admin does not hold (the route and the role, never the request's content). */
  'admin.access-refused',
  /** An operator granted or revoked an admin's roles (`npm run admin:roles`). */
  'admin.roles-changed',
  'token.issued',
  'token.revoked',
  'tpp.registered',
  'tpp.updated',
  'tpp.deregistered',
  'tpp.suspended',
  'tpp.reinstated',
  /** An administrator closed or re-identified an account of the built-in ledger (the account and the change, never the number). */
  'ledger.account-changed',
  'audit.exported',
  'audit.verified',
  'audit.searched',
  'secrets.rotated',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export type AuditActorType = 'tpp' | 'psu' | 'admin' | 'system';

/** One audited act, as stored in the outbox and, chained, in the audit log. Never holds a secret. */
export interface AuditEvent {
  /** UUID; the log is idempotent on it, so a second delivery writes nothing. */
  eventId: string;
  type: AuditEventType;
  /** ISO 8601 instant of the act itself (not of its recording). */
  occurredAt: string;
  actor: { type: AuditActorType; id: string };
  /** The TPP concerned, if any. */
  clientId?: string;
  psuId?: string;
  consentId?: string;
  /** The x-fapi-interaction-id of the request that caused the act. */
  interactionId?: string;
  /** Details of the act, redacted before storage. */
  data: Record<string, unknown>;
}

export type AuditEventInput = Omit<AuditEvent, 'eventId' | 'occurredAt'> & {
  occurredAt?: Date;
  /** A UUID chosen by the caller (ascending UUIDv7 for a bulk insert, say); default a random one. */
  eventId?: string;
};

/**
 * Whether a `consent.expired` entry ended an authorisation (AUTH to EXPD), not a request nobody approved
 * in time (AWAU to EXPD): only the former is news for the PSU (its alert) and the TPP (its
 * consent-authorization-revoked event). Every expiry's entry names the status it left (`data.from`).
 */
export function expiryEndedAnAuthorisation(data: Record<string, unknown> | undefined): boolean {
  return data?.from === 'AUTH';
}
