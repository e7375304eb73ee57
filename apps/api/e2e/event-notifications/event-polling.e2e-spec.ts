import { recordAuditEvent } from '@consentry/audit';
import { RevokeAccountAccessConsent } from '@consentry/consents';
import { BankSigningKeys } from '@consentry/message-signing';
import { eventAnnouncementChannel, produceEvents } from '@consentry/tpps';
import { Redis } from 'ioredis';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, JWTPayload, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { relayOutboxToLog } from '../support/audit-relay.js';
import { expectObSchema } from '../support/ob-schema.js';
import { PaymentFixtures } from '../support/payment-fixtures.js';

const EVENTS = '/open-banking/v4.0/events';
const RESOURCE_UPDATE = 'urn:uk:org:openbanking:events:resource-update';
const REVOKED = 'urn:uk:org:openbanking:events:consent-authorization-revoked';
const RIVAL = 'rival-tpp';

/**
 * Aggregated polling against events the worker's production step (libs/tpps produceEvents) makes from
 * the audit log of real changes: a PSU's revocation and a payment made through the API.
 */
describe('event polling', () => {
  let h: ApiHarness;
  let cc: string;
  let rivalCc: string;
  let keys: BankSigningKeys;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let announcer: Redis;

  beforeAll(async () => {
    h = await ApiHarness.start('event_polling');
    cc = await h.clientCredentialsToken({ scope: 'accounts' });
    await h.dataSource.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ($1, 'Rival', '{AISP}', '{}')`, [RIVAL]);
    rivalCc = await h.clientCredentialsToken({ scope: 'accounts', clientId: RIVAL });
    // The key the API signs with, as the worker loads it (the same file under the same data directory).
    keys = await BankSigningKeys.load(h.config);
    jwks = createRemoteJWKSet(new URL(`${h.api.url}/.well-known/message-signing-jwks.json`));
    announcer = new Redis(h.redis.url);
  });
  afterAll(async () => {
    announcer?.disconnect();
    await h?.stop();
  });

  /** What the worker does: chain the outbox into the log, then turn new entries into events. */
  async function produce(): Promise<number> {
    await relayOutboxToLog(h.dataSource);
    const { produced } = await produceEvents(h.dataSource, { signer: keys.signer, apiUrl: h.api.publicUrl, batchSize: 1_000 });
    return produced.length;
  }

  async function poll(body: Record<string, unknown>, token = cc): Promise<CallResult> {
    expectObSchema('OBEventPolling1', body, 'events');
    const answer = await h.tpp('POST', EVENTS, { token, body });
    expect(answer.status).toBe(200);
    expectObSchema('OBEventPollingResponse1', answer.body, 'events');
    return answer;
  }

  /** A SET verified with the bank's published keys, fetched from the API. */
  async function verified(set: string): Promise<JWTPayload> {
    expect(decodeProtectedHeader(set)).toMatchObject({ alg: 'PS256', typ: 'secevent+jwt' });
    const { payload } = await jwtVerify(set, jwks, { typ: 'secevent+jwt', audience: h.clientId, issuer: h.config.messageSigningIssuer });
    return payload;
  }

  it('turns a PSU\'s revocation and a payment into signed events the TPP polls, but not the TPP\'s own deletion', async () => {
    const fixtures = await PaymentFixtures.of(h);
    const revokedByPsu = await h.authorisedConsent(['ReadAccountsBasic']);
    await new RevokeAccountAccessConsent(h.dataSource).execute({ consentId: revokedByPsu, by: { type: 'psu', psuId: await h.psuId('alice') }, interactionId: 'psu-revocation-1' });
    const deletedByTpp = await h.authorisedConsent(['ReadAccountsBasic']);
    expect((await h.tpp('DELETE', `/open-banking/v4.0/aisp/account-access-consents/${deletedByTpp}`, { token: cc })).status).toBe(204);
    const alice = await fixtures.gbpAccount('alice', 'Alice');
    const bob = await fixtures.gbpAccount('bob', 'Bob');
    const { paymentId } = await fixtures.paidDomesticPayment('alice', alice, bob.account, '10.00');

    // payment.submitted and payment.status-changed: two resource updates; the PSU's revocation: one.
    expect(await produce()).toBe(3);
    expect(await produce()).toBe(0);
    const answer = await poll({ returnImmediately: true });
    expect(answer.body.moreAvailable).toBe(false);
    const claims = await Promise.all(Object.entries(answer.body.sets as unknown as Record<string, string>).map(async ([jti, set]) => ({ jti, payload: await verified(set) })));
    expect(claims).toHaveLength(3);
    for (const { jti, payload } of claims) expect(payload.jti).toBe(jti);

    const updates = claims.filter(({ payload }) => RESOURCE_UPDATE in (payload.events as object));
    const paymentUrl = `${h.api.publicUrl}/open-banking/v4.0/pisp/domestic-payments/${paymentId}`;
    expect(updates).toHaveLength(2);
    for (const { payload } of updates) {
      expectObSchema('OBEventNotification1', payload, 'event-notifications');
      expect(payload).toMatchObject({ aud: h.clientId, sub: paymentUrl });
      expect(payload.events).toEqual({
        [RESOURCE_UPDATE]: {
          subject: {
            subject_type: 'http://openbanking.org.uk/rid_http://openbanking.org.uk/rty',
            'http://openbanking.org.uk/rid': paymentId,
            'http://openbanking.org.uk/rty': 'domestic-payment',
            'http://openbanking.org.uk/rlk': [{ version: 'v4.0', link: paymentUrl }],
          },
        },
      });
    }
    const [revocation] = claims.filter(({ payload }) => REVOKED in (payload.events as object));
    const consentUrl = `${h.api.publicUrl}/open-banking/v4.0/aisp/account-access-consents/${revokedByPsu}`;
    expect(revocation!.payload).toMatchObject({ aud: h.clientId, sub: consentUrl, txn: 'psu-revocation-1' });
    const revoked = (revocation!.payload.events as Record<string, { subject: unknown; reason: string }>)[REVOKED]!;
    expectObSchema('OBEventSubject1', revoked.subject, 'event-notifications');
    expect(revoked.reason).toBe('Revoked by the PSU');
    expect(JSON.stringify(claims)).not.toContain(deletedByTpp);
  });

  it('answers at most maxEvents with moreAvailable, and never again what the TPP acknowledged', async () => {
    const first = await poll({ maxEvents: 1, returnImmediately: true });
    expect(first.body.moreAvailable).toBe(true);
    const [jti] = Object.keys(first.body.sets);
    // Unacknowledged, it comes again.
    expect(Object.keys((await poll({ maxEvents: 1 })).body.sets)).toEqual([jti]);
    const all = Object.keys((await poll({})).body.sets);
    expect(all).toHaveLength(3);
    const [, refused, acked] = all;
    const afterAck = await poll({ ack: [jti!, acked!], setErrs: { [refused!]: { err: 'jwtParse', description: 'could not parse' } } });
    expect(afterAck.body).toEqual({ moreAvailable: false, sets: {} });
    expect((await poll({ maxEvents: 0 })).body).toEqual({ moreAvailable: false, sets: {} });
    const audited: Array<{ data: { jti: string; via: string } }> = await h.dataSource.query(
      `SELECT event->'data' AS data FROM audit_outbox WHERE event->>'type' = 'event.delivered' ORDER BY event->>'occurredAt'`,
    );
    // A positive acknowledgement is a delivery; a negative one (setErrs) is not.
    expect(audited.map((row) => row.data.jti).sort()).toEqual([jti, acked].sort());
    expect(audited.every((row) => row.data.via === 'polling')).toBe(true);
  });

  it('answers a TPP\'s events in the order of their audit entries, within one production batch too', async () => {
    const ridOf = (set: string): unknown => (decodeJwt(set).events as Record<string, { subject: Record<string, unknown> }>)[REVOKED]!.subject['http://openbanking.org.uk/rid'];
    const pending = async (): Promise<string[]> => Object.values((await poll({ returnImmediately: true, maxEvents: 100 })).body.sets).map(jsonString);
    await poll({ ack: Object.keys((await poll({ returnImmediately: true, maxEvents: 100 })).body.sets), maxEvents: 0 });
    const consentIds = Array.from({ length: 12 }, (_, i) => `aac-00000000-0000-4000-8000-0000000012${String(i).padStart(2, '0')}`);
    for (const [i, consentId] of consentIds.entries()) {
      await h.dataSource.transaction((manager) =>
        recordAuditEvent(manager, {
          type: 'consent.expired',
          actor: { type: 'system', id: 'consent-expiry' },
          clientId: h.clientId,
          consentId,
          data: { from: 'AUTH', to: 'EXPD', reason: `Expired ${i}` },
        }),
      );
    }
    // One batch: every event gets the same created_at. Until 7 December 2026 they came in their random jti's order.
    expect(await produce()).toBe(12);
    expect(ridOf((await pending())[0]!)).toBe(consentIds[0]);
    const first = Object.values((await poll({ maxEvents: 1 })).body.sets).map(jsonString);
    expect(first.map(ridOf)).toEqual([consentIds[0]]);
    expect((await pending()).map(ridOf)).toEqual(consentIds);
    await poll({ ack: Object.keys((await poll({ returnImmediately: true, maxEvents: 100 })).body.sets), maxEvents: 0 });
  });

  it('takes a setErrs of 1,000 events, and texts of their OB lengths counted in code points', async () => {
    // Keyed by unknown jtis (none of this TPP's): nothing to mark, but the body is read and checked.
    const wide = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`jti-${i}`, { err: 'jwtIss', description: 'unknown issuer' }]));
    expect((await poll({ setErrs: wide })).status).toBe(200);
    // Until 6 December 2026 these were measured in UTF-16 units: 30 emoji were 60, refused as over 40.
    expect((await poll({ setErrs: { 'jti-emoji': { err: '😀'.repeat(30), description: '😀'.repeat(200) } } })).status).toBe(200);
    const tooLong = await h.tpp('POST', EVENTS, { token: cc, body: { setErrs: { 'jti-long': { err: '😀'.repeat(41), description: 'x' } } } });
    expect(tooLong.status).toBe(400);
  });

  it('refuses malformed polling bodies with U002 and no write', async () => {
    for (const body of [{ maxEvents: -1 }, { ack: 'x' }, { setErrs: { x: { err: 'only' } } }, { extra: true }]) {
      const answer = await h.tpp('POST', EVENTS, { token: cc, body });
      expect(answer.status).toBe(400);
      expectObSchema('OBErrorResponse1', answer.body, 'events');
    }
  });

  it('never shows a TPP another TPP\'s events, nor lets it acknowledge them', async () => {
    await h.dataSource.transaction((manager) =>
      recordAuditEvent(manager, {
        type: 'consent.expired',
        actor: { type: 'system', id: 'consent-expiry' },
        clientId: RIVAL,
        consentId: 'aac-00000000-0000-4000-8000-00000000aaaa',
        data: { from: 'AUTH', to: 'EXPD', reason: 'Expired' },
      }),
    );
    expect(await produce()).toBe(1);
    const rival = await poll({}, rivalCc);
    const [rivalJti] = Object.keys(rival.body.sets);
    expect(Object.keys(rival.body.sets)).toHaveLength(1);
    expect((await verified(String(rival.body.sets[rivalJti!])).catch((error: Error) => error.name))).toBe('JWTClaimValidationFailed');
    // The sandbox TPP sees nothing of it, and its ack of the rival's event changes nothing.
    expect((await poll({ ack: [rivalJti!] })).body).toEqual({ moreAvailable: false, sets: {} });
    expect(Object.keys((await poll({}, rivalCc)).body.sets)).toEqual([rivalJti]);
  });

  it('with returnImmediately false, waits for the TPP\'s next event and answers it', async () => {
    let answered = false;
    const waiting = poll({ returnImmediately: false }).finally(() => (answered = true));
    // Nothing is pending: the poll waits. Then the worker's part: a change, its event, the announcement.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    await new RevokeAccountAccessConsent(h.dataSource).execute({ consentId: await h.authorisedConsent(['ReadAccountsBasic']), by: { type: 'psu', psuId: await h.psuId('alice') } });
    expect(await produce()).toBe(1);
    await announcer.publish(eventAnnouncementChannel(h.config.redisPrefix), h.clientId);
    const answer = await waiting;
    expect(Object.keys(answer.body.sets)).toHaveLength(1);
  });
});
