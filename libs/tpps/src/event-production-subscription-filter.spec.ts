import { AuditChainWriter, recordAuditEvents } from '@consentry/audit';
import type { AuditEventInput } from '@consentry/audit';
import type { MessageSigner } from '@consentry/message-signing';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { CryptoKey, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { produceEvents, ProduceEventsResult } from './event-production.js';
import type { ObEventType } from './event-types.js';

const API = 'https://api.bank.example';
const RESOURCE_UPDATE: ObEventType = 'urn:uk:org:openbanking:events:resource-update';
const REVOKED: ObEventType = 'urn:uk:org:openbanking:events:consent-authorization-revoked';
const LINKED_ACCOUNT_UPDATE: ObEventType = 'urn:uk:org:openbanking:events:account-access-consent-linked-account-update';

const UPDATES_ONLY = 'tpp-updates-only';
const TWO_TYPES = 'tpp-two-types';
const WITHOUT_TYPES = 'tpp-without-types';
const UNSUBSCRIBED = 'tpp-unsubscribed';
const TPPS = [UPDATES_ONLY, TWO_TYPES, WITHOUT_TYPES, UNSUBSCRIBED];
const CALLBACK = 'https://tpp.example/event-notifications';

/** What a TPP gets of each of its acts below: the event type and the URL of the resource it names. */
function everyEventOf(clientId: string): Array<{ event_type: string; sub: string }> {
  return [
    { event_type: RESOURCE_UPDATE, sub: `${API}/open-banking/v4.0/pisp/domestic-payments/dp-${clientId}` },
    { event_type: REVOKED, sub: `${API}/open-banking/v4.0/aisp/account-access-consents/aac-${clientId}-revoked` },
    { event_type: REVOKED, sub: `${API}/open-banking/v4.0/aisp/account-access-consents/aac-${clientId}-expired` },
    { event_type: LINKED_ACCOUNT_UPDATE, sub: `${API}/open-banking/v4.0/aisp/account-access-consents/aac-${clientId}-linked` },
  ];
}

/** One act of `clientId` for each way an event is made (docs/monitoring.md, "Event catalogue"). */
function actsOf(clientId: string): AuditEventInput[] {
  return [
    {
      type: 'payment.status-changed',
      actor: { type: 'system', id: 'payment-execution' },
      clientId,
      interactionId: `payment-${clientId}`,
      data: { paymentId: `dp-${clientId}`, kind: 'domestic-payment', from: 'PDNG', to: 'ACSC' },
    },
    {
      type: 'consent.revoked',
      actor: { type: 'psu', id: `psu-of-${clientId}` },
      clientId,
      consentId: `aac-${clientId}-revoked`,
      data: { reason: 'Revoked by the PSU' },
    },
    { type: 'consent.expired', actor: { type: 'system', id: 'consent-expiry' }, clientId, consentId: `aac-${clientId}-expired`, data: { from: 'AUTH', to: 'EXPD' } },
    {
      type: 'consent.linked-account-changed',
      actor: { type: 'admin', id: 'admin-1' },
      clientId,
      consentId: `aac-${clientId}-linked`,
      data: { accountId: `acc-${clientId}`, change: 'closed' },
    },
  ];
}

describe('produceEvents with event subscriptions', () => {
  let db: TestDatabase;
  let publicKey: CryptoKey;
  let result: ProduceEventsResult;
  const q = <T>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const sorted = (events: Array<{ event_type: string; sub: string }>) => events.map(({ event_type, sub }) => `${event_type} ${sub}`).sort();
  const eventsOf = async (clientId: string) => sorted(await q<{ event_type: string; sub: string }>(`SELECT event_type, sub FROM event_notification WHERE client_id = $1`, [clientId]));

  beforeAll(async () => {
    db = await createTestDatabase('event_subscription_filter');
    for (const tpp of TPPS) await q(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ($1, $1, '{AISP,PISP}', '{}')`, [tpp]);
    const subscribe = (clientId: string, callbackUrl: string | null, eventTypes: string[] | null) =>
      q(`INSERT INTO event_subscription (event_subscription_id, client_id, callback_url, event_types, version) VALUES ($1, $2, $3, $4, '4.0')`, [
        `evs-${clientId}`,
        clientId,
        callbackUrl,
        eventTypes,
      ]);
    await subscribe(UPDATES_ONLY, null, [RESOURCE_UPDATE]);
    await subscribe(TWO_TYPES, null, [LINKED_ACCOUNT_UPDATE, RESOURCE_UPDATE]);
    await subscribe(WITHOUT_TYPES, CALLBACK, null);

    // The TPPs' acts interleaved in one batch, as the log holds them, chained by the worker's own writer.
    const acts = TPPS.map(actsOf);
    const recorded = await db.dataSource.transaction((manager) => recordAuditEvents(manager, acts[0]!.flatMap((_, i) => acts.map((of) => of[i]!))));
    await new AuditChainWriter(db.dataSource).appendFromOutbox(recorded.map((event) => event.eventId));

    const keys = await generateKeyPair('PS256');
    publicKey = keys.publicKey;
    const signer: MessageSigner = { kid: 'bank-signing-1', iss: 'bank.example', tan: 'openbanking.org.uk', key: keys.privateKey };
    result = await produceEvents(db.dataSource, { signer, apiUrl: API, batchSize: 100 });
  });
  afterAll(async () => db?.drop());

  it('gives a TPP whose subscription lists event types only those types', async () => {
    expect(await eventsOf(UPDATES_ONLY)).toEqual(sorted(everyEventOf(UPDATES_ONLY).filter((event) => event.event_type === RESOURCE_UPDATE)));
    expect(await eventsOf(TWO_TYPES)).toEqual(sorted(everyEventOf(TWO_TYPES).filter((event) => event.event_type !== REVOKED)));
  });

  it('gives every type to a TPP subscribed without event types and to a TPP with no subscription, for polling', async () => {
    expect(await eventsOf(WITHOUT_TYPES)).toEqual(sorted(everyEventOf(WITHOUT_TYPES)));
    expect(await eventsOf(UNSUBSCRIBED)).toEqual(sorted(everyEventOf(UNSUBSCRIBED)));
  });

  it('makes each event of its own TPP\'s audit entry, signed for that TPP alone', async () => {
    const rows = await q<{ client_id: string; set_jwt: string; source_client_id: string }>(
      `SELECT n.client_id, n.set_jwt, a.client_id AS source_client_id FROM event_notification n JOIN audit_log a ON a.event_id = n.audit_event_id`,
    );
    expect(rows).toHaveLength(1 + 2 + 4 + 4);
    for (const row of rows) {
      expect(row.source_client_id).toBe(row.client_id);
      await expect(jwtVerify(row.set_jwt, publicKey, { typ: 'secevent+jwt', issuer: 'bank.example', audience: row.client_id })).resolves.toBeDefined();
    }
    expect(result.read).toBe(16);
    expect(result.produced.map(({ clientId, callbackUrl }) => `${clientId} ${callbackUrl}`).sort()).toEqual(
      [
        `${UPDATES_ONLY} null`,
        ...Array<string>(2).fill(`${TWO_TYPES} null`),
        ...Array<string>(4).fill(`${WITHOUT_TYPES} ${CALLBACK}`),
        ...Array<string>(4).fill(`${UNSUBSCRIBED} null`),
      ].sort(),
    );
  });
});
