import { randomUUID } from 'node:crypto';

import type { MessageSigner } from '@consentry/message-signing';
import { SignJWT } from 'jose';

import type { ObEventType } from './event-types.js';

/** OBEventSubject1: the resource an event is about. */
export interface ObEventSubject {
  subject_type: string;
  'http://openbanking.org.uk/rid': string;
  'http://openbanking.org.uk/rty': string;
  'http://openbanking.org.uk/rlk': Array<{ version: string; link: string }>;
}

/** The claims of an event notification (OBEventNotification1; `reason` only on a revocation). */
export interface ObEventNotificationClaims {
  iss: string;
  iat: number;
  jti: string;
  aud: string;
  sub: string;
  txn: string;
  toe: number;
  events: Partial<Record<ObEventType, { subject: ObEventSubject; reason?: string }>>;
}

/** RFC 8417 2.3: a Security Event Token's JOSE `typ`. */
export const SET_TYPE = 'secevent+jwt';

// UK OB Event Notification API: the subject is a resource, identified by its id and type.
const SUBJECT_TYPE = 'http://openbanking.org.uk/rid_http://openbanking.org.uk/rty';
const RESOURCE_VERSION = 'v4.0';

/** One event to notify: which TPP, which resource (its id, type and URL), when and in which interaction. */
export interface ObEventInput {
  type: ObEventType;
  clientId: string;
  resourceId: string;
  resourceType: string;
  resourceUrl: string;
  interactionId: string;
  occurredAt: Date;
  reason?: string;
}

export function eventClaims(input: ObEventInput, issuer: string, now: Date, jti: string = randomUUID()): ObEventNotificationClaims {
  const subject: ObEventSubject = {
    subject_type: SUBJECT_TYPE,
    'http://openbanking.org.uk/rid': input.resourceId,
    'http://openbanking.org.uk/rty': input.resourceType,
    'http://openbanking.org.uk/rlk': [{ version: RESOURCE_VERSION, link: input.resourceUrl }],
  };
  return {
    iss: issuer,
    iat: Math.floor(now.getTime() / 1000),
    jti,
    // A plain string, as OBEventNotification1 has it (not RFC 7519's array form).
    aud: input.clientId,
    sub: input.resourceUrl,
    txn: input.interactionId,
    toe: Math.floor(input.occurredAt.getTime() / 1000),
    events: { [input.type]: input.reason === undefined ? { subject } : { subject, reason: input.reason } },
  };
}

/** The event as a signed Security Event Token (RFC 8417), by the bank's message-signing key (PS256). */
export function signEventNotification(claims: ObEventNotificationClaims, signer: MessageSigner): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'PS256', kid: signer.kid, typ: SET_TYPE }).sign(signer.key);
}
