import { OB_CRITICAL_CLAIMS } from '@consentry/message-signing';
import { base64url, createRemoteJWKSet, flattenedVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { TppMessageSigner } from '../support/tpp-message-signer.js';

const SUBSCRIPTIONS = '/open-banking/v4.0/event-subscriptions';
const RESOURCE_UPDATE = 'urn:uk:org:openbanking:events:resource-update';
const REVOKED = 'urn:uk:org:openbanking:events:consent-authorization-revoked';

function expectEvents(name: string, body: unknown): void {
  expectObSchema(name, body, 'events');
}

describe('event subscriptions', () => {
  let h: ApiHarness;
  let signer: TppMessageSigner;
  let cc: string;

  beforeAll(async () => {
    h = await ApiHarness.start('event_subscriptions', { CONSENTRY_MODE: 'sandbox' });
    signer = await TppMessageSigner.of(h.sandbox.tpp);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
  });
  afterAll(async () => h?.stop());

  /** A signed POST or PUT as a TPP sends it (the body's exact bytes signed). */
  async function signed(method: 'POST' | 'PUT', path: string, body: unknown, token = cc, signature?: string): Promise<CallResult> {
    const rawBody = JSON.stringify(body);
    return h.tpp(method, path, {
      token,
      rawBody,
      headers: { 'content-type': 'application/json', ...(signature === '' ? {} : { 'x-jws-signature': signature ?? (await signer.sign(rawBody)) }) },
    });
  }

  /** The answer's x-jws-signature, verified over its bytes with the bank's keys published by the API. */
  async function expectSignedAnswer(result: CallResult): Promise<void> {
    const [protectedHeader, payload, signature] = (result.headers.get('x-jws-signature') ?? '').split('.');
    expect(payload).toBe('');
    const keys = createRemoteJWKSet(new URL(`${h.api.url}/.well-known/message-signing-jwks.json`));
    const crit = Object.fromEntries(OB_CRITICAL_CLAIMS.map((claim) => [claim, true]));
    await flattenedVerify({ protected: protectedHeader!, payload: base64url.encode(JSON.stringify(result.body)), signature: signature! }, keys, { algorithms: ['PS256'], crit });
  }

  function expectError(result: CallResult, status: number, code: string, path?: string): void {
    expect(result.status).toBe(status);
    expectEvents('OBErrorResponse1', result.body);
    expect(result.body.Errors[0]).toMatchObject({ ErrorCode: code, ...(path ? { Path: path } : {}) });
  }

  async function auditTypes(): Promise<string[]> {
    const rows: Array<{ type: string }> = await h.dataSource.query(
      `SELECT event->>'type' AS type FROM audit_outbox WHERE event->>'type' LIKE 'event.subscription-%' ORDER BY event->>'occurredAt'`,
    );
    return rows.map((row) => row.type);
  }

  it('creates, reads, changes and deletes the TPP\'s one subscription, each audited, shaped as the spec says', async () => {
    const body = { Data: { Version: '4.0', CallbackUrl: 'http://localhost:9/tpp', EventTypes: [RESOURCE_UPDATE] } };
    expectEvents('OBEventSubscription1', body);
    const created = await signed('POST', SUBSCRIPTIONS, body);
    expect(created.status).toBe(201);
    expectEvents('OBEventSubscriptionResponse1', created.body);
    const id = jsonString(created.body.Data.EventSubscriptionId);
    expect(created.body.Data).toEqual({ EventSubscriptionId: id, Version: '4.0', CallbackUrl: 'http://localhost:9/tpp', EventTypes: [RESOURCE_UPDATE] });
    expect(created.body.Links.Self).toBe(`${h.api.publicUrl}${SUBSCRIPTIONS}/${id}`);
    await expectSignedAnswer(created);

    // One per TPP: a second is 409, and nothing is written.
    expectError(await signed('POST', SUBSCRIPTIONS, { Data: { Version: '4.0' } }), 409, 'U029');

    const read = await h.tpp('GET', SUBSCRIPTIONS, { token: cc });
    expect(read.status).toBe(200);
    expectEvents('OBEventSubscriptionsResponse1', read.body);
    expect(read.body.Data.EventSubscription).toEqual([created.body.Data]);
    await expectSignedAnswer(read);

    const change = { Data: { EventSubscriptionId: id, Version: '4.0', EventTypes: [RESOURCE_UPDATE, REVOKED] } };
    expectEvents('OBEventSubscriptionResponse1', change);
    const changed = await signed('PUT', `${SUBSCRIPTIONS}/${id}`, change);
    expect(changed.status).toBe(200);
    expectEvents('OBEventSubscriptionResponse1', changed.body);
    expect(changed.body.Data).toEqual({ EventSubscriptionId: id, Version: '4.0', EventTypes: [RESOURCE_UPDATE, REVOKED] });

    expectError(await signed('PUT', `${SUBSCRIPTIONS}/${id}`, { Data: { ...change.Data, EventSubscriptionId: 'evs-other' } }), 400, 'U002', 'Data.EventSubscriptionId');

    const deleted = await h.tpp('DELETE', `${SUBSCRIPTIONS}/${id}`, { token: cc });
    expect(deleted.status).toBe(204);
    expectError(await h.tpp('DELETE', `${SUBSCRIPTIONS}/${id}`, { token: cc }), 404, 'U011');
    expect((await h.tpp('GET', SUBSCRIPTIONS, { token: cc })).body.Data.EventSubscription).toEqual([]);
    expect(await auditTypes()).toEqual(['event.subscription-created', 'event.subscription-updated', 'event.subscription-deleted']);

    // The audit keeps the callback's host, never its path.
    const [createdAudit]: Array<{ data: Record<string, unknown> }> = await h.dataSource.query(
      `SELECT event->'data' AS data FROM audit_outbox WHERE event->>'type' = 'event.subscription-created'`,
    );
    expect(createdAudit!.data).toEqual({ eventSubscriptionId: id, callbackHost: 'localhost:9', eventTypes: [RESOURCE_UPDATE] });
  });

  it('refuses an unknown event type with U024, and another version with U002', async () => {
    expectError(await signed('POST', SUBSCRIPTIONS, { Data: { Version: '4.0', EventTypes: [RESOURCE_UPDATE, 'urn:uk:org:openbanking:events:made-up'] } }), 400, 'U024', 'Data.EventTypes');
    expectError(await signed('POST', SUBSCRIPTIONS, { Data: { Version: '3.1' } }), 400, 'U002', 'Data.Version');
    expect((await h.tpp('GET', SUBSCRIPTIONS, { token: cc })).body.Data.EventSubscription).toEqual([]);
  });

  it('refuses a POST or PUT without a valid x-jws-signature, as the payment routes do', async () => {
    const body = { Data: { Version: '4.0' } };
    expectError(await signed('POST', SUBSCRIPTIONS, body, cc, ''), 400, 'U019');
    expectError(await signed('POST', SUBSCRIPTIONS, body, cc, 'not-a-jws'), 400, 'U018');
    // A signature of other bytes than those sent.
    expectError(await signed('POST', SUBSCRIPTIONS, body, cc, await signer.sign(JSON.stringify({ Data: { Version: '4.0', CallbackUrl: 'https://evil.example' } }))), 400, 'U015');
    expectError(await signed('PUT', `${SUBSCRIPTIONS}/evs-x`, { Data: { EventSubscriptionId: 'evs-x', Version: '4.0' } }, cc, ''), 400, 'U019');
    expect((await h.tpp('GET', SUBSCRIPTIONS, { token: cc })).body.Data.EventSubscription).toEqual([]);
  });

  it('takes only a client-credentials token with a resource scope', async () => {
    const psuToken = await h.consentToken('aac-00000000-0000-4000-8000-000000000000');
    expectError(await h.tpp('GET', SUBSCRIPTIONS, { token: psuToken }), 403, 'U042');
    expectError(await h.tpp('GET', SUBSCRIPTIONS, { token: await h.clientCredentialsToken({ scope: 'openid' }) }), 403, 'U042');
    expect((await h.tpp('GET', SUBSCRIPTIONS, { token: await h.clientCredentialsToken({ scope: 'accounts' }) })).status).toBe(200);
  });

  it('refuses callback URLs that are not https or that reach private, loopback or link-local addresses', async () => {
    for (const url of [
      'http://tpp.example.com/cb',
      'https://127.0.0.1/cb',
      'https://10.1.2.3/cb',
      'https://192.168.0.10/cb',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/cb',
      'https://[fe80::1]/cb',
      'https://[::ffff:127.0.0.1]/cb',
      'https://user:secret@tpp.example.com/cb',
      'not a url',
    ]) {
      const answer = await signed('POST', SUBSCRIPTIONS, { Data: { Version: '4.0', CallbackUrl: url } });
      expect({ url, status: answer.status, code: answer.body.Errors?.[0]?.ErrorCode, path: answer.body.Errors?.[0]?.Path }).toEqual({
        url,
        status: 400,
        code: 'U002',
        path: 'Data.CallbackUrl',
      });
    }
    expect((await h.tpp('GET', SUBSCRIPTIONS, { token: cc })).body.Data.EventSubscription).toEqual([]);
  });
});
