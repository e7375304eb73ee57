import { expiryEndedAnAuthorisation, recordAuditEvents } from '@consentry/audit';
import type { AuditEvent } from '@consentry/audit';
import { DataSource, standingOrderOfRun } from '@consentry/database';
import type { MessageSigner } from '@consentry/message-signing';

import { eventClaims, ObEventInput, signEventNotification } from './event-set.js';
import type { ObEventType } from './event-types.js';

const RESOURCE_UPDATE: ObEventType = 'urn:uk:org:openbanking:events:resource-update';
const CONSENT_REVOKED: ObEventType = 'urn:uk:org:openbanking:events:consent-authorization-revoked';
const LINKED_ACCOUNT_UPDATE: ObEventType = 'urn:uk:org:openbanking:events:account-access-consent-linked-account-update';

/** The audit entries events come from (docs/monitoring.md has the catalogue). */
const SOURCE_TYPES = ['payment.submitted', 'payment.status-changed', 'consent.revoked', 'consent.expired', 'consent.linked-account-changed'];

/** Where each kind of payment order is read by the TPP, and its resource type. */
const PAYMENT_RESOURCES: Record<string, { path: string; type: string }> = {
  'domestic-payment': { path: 'pisp/domestic-payments', type: 'domestic-payment' },
  'domestic-scheduled-payment': { path: 'pisp/domestic-scheduled-payments', type: 'domestic-scheduled-payment' },
  'domestic-standing-order': { path: 'pisp/domestic-standing-orders', type: 'domestic-standing-order' },
  'domestic-vrp': { path: 'pisp/domestic-vrps', type: 'domestic-vrp' },
};

/** Where each kind of consent is read by the TPP; a consent that is no payment consent is an account-access one. */
const CONSENT_RESOURCES: Record<string, { path: string; type: string }> = {
  'account-access-consent': { path: 'aisp/account-access-consents', type: 'account-access-consent' },
  'domestic-payment': { path: 'pisp/domestic-payment-consents', type: 'domestic-payment-consent' },
  'domestic-scheduled-payment': { path: 'pisp/domestic-scheduled-payment-consents', type: 'domestic-scheduled-payment-consent' },
  'domestic-standing-order': { path: 'pisp/domestic-standing-order-consents', type: 'domestic-standing-order-consent' },
  'domestic-vrp': { path: 'pisp/domestic-vrp-consents', type: 'domestic-vrp-consent' },
  'funds-confirmation': { path: 'cbpii/funds-confirmation-consents', type: 'funds-confirmation-consent' },
};

interface SourceRow {
  /** The entry's seq in the log (bigint as text). */
  seq: string;
  event: AuditEvent;
  consent_kind: string | null;
}

/** The event an audit entry makes for its TPP, if any. */
export function eventOfAuditEntry(event: AuditEvent, consentKind: string | null, apiUrl: string): ObEventInput | null {
  if (!event.clientId) return null;
  const base = { clientId: event.clientId, interactionId: event.interactionId ?? event.eventId, occurredAt: new Date(event.occurredAt) };
  const data = event.data ?? {};
  if (event.type === 'payment.submitted' || event.type === 'payment.status-changed') {
    const paymentId = typeof data.paymentId === 'string' ? data.paymentId : null;
    if (paymentId === null) return null;
    const kind = typeof data.kind === 'string' ? data.kind : (consentKind ?? 'domestic-payment');
    const resource = PAYMENT_RESOURCES[kind] ?? PAYMENT_RESOURCES['domestic-payment']!;
    // A standing order's run is no resource of its own: the TPP reads it under its standing order.
    const resourceId = kind === 'domestic-standing-order' ? (standingOrderOfRun(paymentId) ?? paymentId) : paymentId;
    return { ...base, type: RESOURCE_UPDATE, resourceId, resourceType: resource.type, resourceUrl: `${apiUrl}/open-banking/v4.0/${resource.path}/${resourceId}` };
  }
  // A revocation is news for the TPP only when the PSU (or the bank) made it; the TPP knows its own deletions.
  // An expiry only when it ended an authorisation: a consent never approved had none to revoke (until
  // 7 December 2026 an AWAU consent's expiry was told as consent-authorization-revoked).
  if ((event.type === 'consent.revoked' && event.actor.type !== 'tpp') || (event.type === 'consent.expired' && expiryEndedAnAuthorisation(data))) {
    if (!event.consentId) return null;
    const resource = CONSENT_RESOURCES[consentKind ?? 'account-access-consent'];
    if (!resource) return null;
    return {
      ...base,
      type: CONSENT_REVOKED,
      resourceId: event.consentId,
      resourceType: resource.type,
      resourceUrl: `${apiUrl}/open-banking/v4.0/${resource.path}/${event.consentId}`,
      reason: typeof data.reason === 'string' ? data.reason : event.type === 'consent.expired' ? 'Expired' : 'Revoked',
    };
  }
  // One entry per authorised consent holding the account (libs/consents recordLinkedAccountChange).
  if (event.type === 'consent.linked-account-changed' && event.consentId) {
    const resource = CONSENT_RESOURCES['account-access-consent']!;
    return {
      ...base,
      type: LINKED_ACCOUNT_UPDATE,
      resourceId: event.consentId,
      resourceType: resource.type,
      resourceUrl: `${apiUrl}/open-banking/v4.0/${resource.path}/${event.consentId}`,
    };
  }
  return null;
}

export interface ProducedEvent {
  jti: string;
  clientId: string;
  /** The TPP's callback URL when it has one: the event is to be delivered there. */
  callbackUrl: string | null;
}

export interface ProduceEventsResult {
  /** Audit entries read (of every type). */
  read: number;
  produced: ProducedEvent[];
}

/**
 * One batch of event production: the audit entries after the cursor (up to `batchSize`, in seq order)
 * become signed events for their TPPs, written with the cursor's move in one transaction, so each entry
 * makes its events exactly once. The cursor row's lock serialises workers. A TPP whose subscription
 * names event types gets only those; a TPP without a subscription still gets events, for polling.
 */
export async function produceEvents(
  dataSource: DataSource,
  options: { signer: MessageSigner; apiUrl: string; batchSize: number; now?: () => Date },
): Promise<ProduceEventsResult> {
  const now = options.now ?? (() => new Date());
  return dataSource.transaction(async (manager) => {
    const [cursor]: Array<{ last_seq: string }> = await manager.query(`SELECT last_seq::text AS last_seq FROM event_production_cursor WHERE name = 'audit-log' FOR UPDATE`);
    if (!cursor) throw new Error('event_production_cursor has no audit-log row: is the schema migrated?');
    const [window]: Array<{ last: string | null; read: number }> = await manager.query(
      `SELECT max(seq)::text AS last, count(*)::int AS read FROM (SELECT seq FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2) w`,
      [cursor.last_seq, options.batchSize],
    );
    if (!window?.last) return { read: 0, produced: [] };
    const rows: SourceRow[] = await manager.query(
      `SELECT a.seq::text AS seq, a.event, pc.kind AS consent_kind
         FROM audit_log a LEFT JOIN payment_consent pc ON pc.consent_id = a.consent_id
        WHERE a.seq > $1 AND a.seq <= $2 AND a.event_type = ANY($3) AND a.client_id IS NOT NULL
        ORDER BY a.seq`,
      [cursor.last_seq, window.last, SOURCE_TYPES],
    );
    const inputs = rows.map((row) => ({ row, input: eventOfAuditEntry(row.event, row.consent_kind, options.apiUrl) })).filter((e) => e.input !== null);
    const clients = [...new Set(inputs.map((e) => e.input!.clientId))];
    const subscriptions: Array<{ client_id: string; callback_url: string | null; event_types: string[] | null }> =
      clients.length === 0 ? [] : await manager.query(`SELECT client_id, callback_url, event_types FROM event_subscription WHERE client_id = ANY($1)`, [clients]);
    const subscriptionOf = new Map(subscriptions.map((s) => [s.client_id, s]));
    const wanted = inputs.filter(({ input }) => {
      const types = subscriptionOf.get(input!.clientId)?.event_types;
      return !types || types.includes(input!.type);
    });
    const issuedAt = now();
    const records = await Promise.all(
      wanted.map(async ({ row, input }) => {
        const claims = eventClaims(input!, options.signer.iss, issuedAt);
        return {
          jti: claims.jti,
          client_id: input!.clientId,
          event_type: input!.type,
          audit_event_id: row.event.eventId,
          sub: claims.sub,
          interaction_id: claims.txn,
          set_jwt: await signEventNotification(claims, options.signer),
          occurred_at: input!.occurredAt.toISOString(),
          // The entry's place in the log: polling answers a TPP's events in it (one batch shares created_at).
          source_seq: row.seq,
        };
      }),
    );
    let inserted: Array<{ jti: string; client_id: string }> = [];
    if (records.length > 0) {
      inserted = await manager.query(
        `INSERT INTO event_notification (jti, client_id, event_type, audit_event_id, sub, interaction_id, set_jwt, occurred_at, source_seq)
         SELECT x.jti, x.client_id, x.event_type, x.audit_event_id, x.sub, x.interaction_id, x.set_jwt, x.occurred_at, x.source_seq
           FROM jsonb_to_recordset($1::jsonb)
             AS x(jti uuid, client_id text, event_type text, audit_event_id uuid, sub text, interaction_id text, set_jwt text, occurred_at timestamptz, source_seq bigint)
         ON CONFLICT DO NOTHING
         RETURNING jti, client_id`,
        [JSON.stringify(records)],
      );
    }
    await manager.query(`UPDATE event_production_cursor SET last_seq = $1 WHERE name = 'audit-log'`, [window.last]);
    return {
      read: window.read,
      produced: inserted.map((row) => ({ jti: row.jti, clientId: row.client_id, callbackUrl: subscriptionOf.get(row.client_id)?.callback_url ?? null })),
    };
  });
}

/**
 * Events older than `retentionDays` removed, a batch at a time; those never delivered nor acknowledged
 * are audited `event.dropped` in the same transaction. Answers how many were dropped.
 */
export async function dropExpiredEvents(dataSource: DataSource, options: { retentionDays: number; batchSize: number }): Promise<number> {
  return dataSource.transaction(async (manager) => {
    const dropped: Array<{ jti: string; client_id: string; event_type: string; delivery_attempts: number }> = await manager.query(
      `WITH gone AS (
         DELETE FROM event_notification
          WHERE jti IN (SELECT jti FROM event_notification WHERE created_at < now() - make_interval(days => $1) ORDER BY created_at LIMIT $2)
          RETURNING jti, client_id, event_type, delivered_at, acknowledged_at, delivery_attempts)
       SELECT jti, client_id, event_type, delivery_attempts FROM gone WHERE delivered_at IS NULL AND acknowledged_at IS NULL`,
      [options.retentionDays, options.batchSize],
    );
    await recordAuditEvents(
      manager,
      dropped.map((row) => ({
        type: 'event.dropped' as const,
        actor: { type: 'system' as const, id: 'event-notifications' },
        clientId: row.client_id,
        data: { jti: row.jti, eventType: row.event_type, deliveryAttempts: row.delivery_attempts },
      })),
    );
    return dropped.length;
  });
}

