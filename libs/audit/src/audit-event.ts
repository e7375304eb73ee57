/** Every kind of audited act. Adding one here is the whole contract change; consumers switch over it. */
export const AUDIT_EVENT_TYPES = [
  'consent.created',
  'consent.authorised',
  'consent.reauthenticated',
  'consent.rejected',
  'consent.revoked',
  'consent.expired',
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
  'data.accessed',
  'psu.login.succeeded',
  'psu.login.failed',
  'psu.locked',
  'admin.login.succeeded',
  'admin.login.failed',
  'token.issued',
  'token.revoked',
  'tpp.registered',
  'tpp.updated',
  'tpp.deregistered',
  'tpp.suspended',
  'tpp.reinstated',
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
