import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody } from '../support/api-harness.js';
import { relayOutboxToLog } from '../support/audit-relay.js';

describe('admin API', () => {
  let h: ApiHarness;
  let consentId: string;

  beforeAll(async () => {
    h = await ApiHarness.start('admin');
    consentId = await h.authorisedConsent(['ReadAccountsDetail', 'ReadBalances']);
    const token = await h.consentToken(consentId);
    await h.tpp('GET', `${AISP}/accounts`, { token: await h.consentToken(consentId) });
    await h.tpp('GET', `${AISP}/balances`, { token });
    await relayOutboxToLog(h.dataSource);
  });
  afterAll(async () => h?.stop());

  it('refuses a PSU session token on the admin API, and an admin token on the customer API', async () => {
    const psuToken = await h.customerSession('alice');
    const onAdmin = await h.call('GET', '/admin/audit-events', { headers: { authorization: `Bearer ${psuToken}` } });
    expect(onAdmin.status).toBe(401);
    expect(onAdmin.body.error).toBe('unauthenticated');
    const adminToken = await h.adminSession();
    const onCustomer = await h.call('GET', '/customer/consents', { headers: { authorization: `Bearer ${adminToken}` } });
    expect(onCustomer.status).toBe(401);
  });

  it('audits every search of the audit log with its filter (PCI DSS 10.2.1.3), and a refused one not at all', async () => {
    const token = await h.adminSession();
    const auth = { authorization: `Bearer ${token}` };
    const searched = async (): Promise<Array<{ actor: { type: string }; data: { channel: string; filter: Record<string, string>; results: number } }>> =>
      (await h.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'type' = 'audit.searched' ORDER BY created_seq`)).map((row: { event: never }) => row.event);
    const before = (await searched()).length;
    const result = await h.call('GET', `/admin/audit-events?type=data.accessed&consentId=${consentId}&limit=5`, { headers: auth });
    expect(result.status).toBe(200);
    const events = await searched();
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)).toMatchObject({
      actor: { type: 'admin' },
      data: { channel: 'api', filter: { type: 'data.accessed', consentId, limit: '5' }, results: result.body.events.length },
    });
    expect((await h.call('GET', '/admin/audit-events?limit=0', { headers: auth })).status).toBe(400);
    expect(await searched()).toHaveLength(before + 1);
  });

  it('lists audit events in seq order with a Next cursor', async () => {
    const token = await h.adminSession();
    const auth = { authorization: `Bearer ${token}` };
    const first = await h.call('GET', '/admin/audit-events?limit=2', { headers: auth });
    expect(first.status).toBe(200);
    expect(first.body.events).toHaveLength(2);
    expect(first.body.next).toBe(first.body.events[1].seq);
    const second = await h.call('GET', `/admin/audit-events?limit=2&after=${first.body.next}`, { headers: auth });
    expect(Number(second.body.events[0].seq)).toBe(Number(first.body.next) + 1);
  });

  it('filters by type and consent, and data.accessed events carry no account numbers', async () => {
    const token = await h.adminSession();
    const result = await h.call('GET', `/admin/audit-events?type=data.accessed&consentId=${consentId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(result.status).toBe(200);
    expect(result.body.events.map((e: JsonBody) => e.event.data.resource)).toEqual(['accounts', 'balances']);
    const [numbers] = await h.dataSource.query(`SELECT array_agg(identification) AS ids FROM account`);
    const text = JSON.stringify(result.body);
    for (const number of numbers.ids as string[]) expect(text).not.toContain(number);
  });

  it('refuses a limit above 500 and an unknown event type', async () => {
    const token = await h.adminSession();
    const auth = { authorization: `Bearer ${token}` };
    const tooMany = await h.call('GET', '/admin/audit-events?limit=501', { headers: auth });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toBe('invalid_request');
    const unknown = await h.call('GET', '/admin/audit-events?type=everything', { headers: auth });
    expect(unknown.status).toBe(400);
  });
});
