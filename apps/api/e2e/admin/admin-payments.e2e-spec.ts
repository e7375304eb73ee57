import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, JsonBody, jsonString } from '../support/api-harness.js';
import { relayOutboxToLog } from '../support/audit-relay.js';
import { ObAccount, PaymentFixtures, ListedAccount } from '../support/payment-fixtures.js';

/**
 * GET /admin/payments and /admin/payments/{PaymentId}: domestic payments and VRPs as one list, keyset-paged
 * and filtered in SQL, every account masked, each payment with its audit events; admin sessions only.
 */
describe('admin API: payments', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let alice: ListedAccount;
  let bob: ListedAccount;
  let payee: ObAccount;
  let vrpConsent: string;
  let vrpIds: string[];
  let rejectedId: string;
  let domestic: { consentId: string; paymentId: string };
  /** Every payment, newest first. */
  let all: string[];

  beforeAll(async () => {
    h = await ApiHarness.start('admin_payments');
    fixtures = await PaymentFixtures.of(h);
    alice = await fixtures.gbpAccount('alice', 'Alice');
    bob = await fixtures.gbpAccount('bob', 'Bob');
    payee = { ...bob.account, Name: 'Bob Builder' };
    const vrp = await fixtures.vrpConsent('alice', alice, payee);
    vrpConsent = vrp.consentId;
    vrpIds = [];
    for (const amount of ['10.00', '20.00', '30.00']) {
      const paid = await fixtures.vrp(vrp.psuToken, vrp.consentId, payee, amount, `REF-${amount}`);
      expect(paid.status).toBe(201);
      vrpIds.push(jsonString(paid.body.Data.DomesticVRPId));
    }
    domestic = await fixtures.paidDomesticPayment('alice', alice, payee, '12.34');
    // Without the funds the VRP is created RJCT (AM04).
    await h.dataSource.query(`UPDATE balance SET amount = 0 WHERE account_id = $1`, [alice.accountId]);
    const rejected = await fixtures.vrp(vrp.psuToken, vrp.consentId, payee, '40.00', 'REF-NOFUNDS');
    expect(rejected.body.Data.Status).toBe('RJCT');
    rejectedId = jsonString(rejected.body.Data.DomesticVRPId);
    all = [rejectedId, domestic.paymentId, ...[...vrpIds].reverse()];
  });
  afterAll(async () => h?.stop());

  async function admin(path: string): Promise<CallResult> {
    return h.call('GET', path, { headers: { authorization: `Bearer ${await h.adminSession()}` } });
  }

  const ids = (result: CallResult) => result.body.payments.map((p: JsonBody) => String(p.paymentId));

  it('lists domestic payments and VRPs newest first, with the TPP, the PSU and every account masked', async () => {
    const result = await admin('/admin/payments');
    expect(result.status).toBe(200);
    expect(ids(result)).toEqual(all);
    expect(result.body.next).toBeNull();
    const mask = (n: string) => `${'*'.repeat(n.length - 4)}${n.slice(-4)}`;
    const byId = (id: string) => result.body.payments.find((p: JsonBody) => String(p.paymentId) === id);
    expect(byId(rejectedId)).toMatchObject({
      kind: 'domestic-vrp',
      consentId: vrpConsent,
      status: 'RJCT',
      statusReason: 'AM04',
      amount: { amount: '40.00', currency: 'GBP' },
      tpp: { clientId: h.clientId, name: 'Sandbox Budgeting App' },
      psuId: await h.psuId('alice'),
      payee: { name: 'Bob Builder', account: mask(bob.account.Identification) },
      debtorAccount: mask(alice.account.Identification),
    });
    expect(byId(domestic.paymentId)).toMatchObject({ kind: 'domestic-payment', consentId: domestic.consentId, status: 'ACSP', amount: { amount: '12.34', currency: 'GBP' } });
    const text = JSON.stringify(result.body);
    for (const number of [alice.account.Identification, bob.account.Identification]) expect(text).not.toContain(number);
  });

  it('filters by status, client, consent and creation time', async () => {
    expect(ids(await admin('/admin/payments?status=RJCT'))).toEqual([rejectedId]);
    expect(ids(await admin('/admin/payments?status=ACSP'))).toEqual(all.slice(1));
    expect(ids(await admin(`/admin/payments?consentId=${domestic.consentId}`))).toEqual([domestic.paymentId]);
    expect(ids(await admin(`/admin/payments?consentId=${vrpConsent}&status=ACSP`))).toEqual([...vrpIds].reverse());
    expect(ids(await admin(`/admin/payments?clientId=${h.clientId}`))).toEqual(all);
    expect(ids(await admin('/admin/payments?clientId=someone-else'))).toEqual([]);
    const [row] = await h.dataSource.query(`SELECT creation_date_time FROM domestic_payment WHERE payment_id = $1`, [domestic.paymentId]);
    const at = (row.creation_date_time as Date).toISOString();
    expect(ids(await admin(`/admin/payments?from=${encodeURIComponent(at)}`))).toEqual([rejectedId, domestic.paymentId]);
    expect(ids(await admin(`/admin/payments?to=${encodeURIComponent(at)}`))).toEqual(all.slice(1));
    expect(ids(await admin(`/admin/payments?from=${encodeURIComponent(at)}&to=${encodeURIComponent(at)}`))).toEqual([domestic.paymentId]);
  });

  it('pages by keyset without gaps or repeats, keeping the filter', async () => {
    const collected: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page: CallResult = await admin(`/admin/payments?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.payments.length).toBeLessThanOrEqual(2);
      collected.push(...ids(page));
      cursor = page.body.next === null ? null : jsonString(page.body.next);
      if (cursor === null) break;
    }
    expect(collected).toEqual(all);
    const first = await admin('/admin/payments?status=ACSP&limit=3');
    const second = await admin(`/admin/payments?status=ACSP&limit=3&cursor=${jsonString(first.body.next)}`);
    expect([...ids(first), ...ids(second)]).toEqual(all.slice(1));
  });

  it('refuses bad filters with a problem body, never a 500', async () => {
    for (const query of ['status=DONE', 'from=yesterday', 'to=2026-13-01T00:00:00Z', 'limit=0', 'limit=201', 'cursor=%27%3B', 'psuId=x', 'clientId=' + 'x'.repeat(201)]) {
      const result = await admin(`/admin/payments?${query}`);
      expect(result.status, query).toBe(400);
      expect(result.body.error, query).toBe('invalid_request');
    }
    const forged = Buffer.from(JSON.stringify(['abc', 'dp-1'])).toString('base64url');
    expect((await admin(`/admin/payments?cursor=${forged}`)).body).toEqual({ error: 'invalid_request', message: 'The page cursor is not valid' });
  });

  it('shows one payment with its audit events, and records that the trail was read', async () => {
    await relayOutboxToLog(h.dataSource);
    const result = await admin(`/admin/payments/${vrpIds[0]}`);
    expect(result.status).toBe(200);
    expect(result.body.payment).toMatchObject({ paymentId: vrpIds[0], status: 'ACSP', amount: { amount: '10.00', currency: 'GBP' } });
    expect(result.body.events.map((e: JsonBody) => String(e.type))).toEqual(['payment.submitted', 'payment.risk-assessed', 'payment.status-changed']);
    expect(result.body.events.every((e: JsonBody) => String(e.event.data.paymentId) === vrpIds[0])).toBe(true);
    expect(JSON.stringify(result.body)).not.toContain(bob.account.Identification);
    const [searched] = await h.dataSource.query(
      `SELECT event FROM audit_outbox WHERE event->>'type' = 'audit.searched' AND event #>> '{data,filter,paymentId}' = $1`,
      [vrpIds[0]],
    );
    expect(searched.event).toMatchObject({ actor: { type: 'admin' }, data: { channel: 'api', results: 3 } });

    const missing = await admin('/admin/payments/vrp-00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'not_found', message: 'No such payment' });
  });

  it('answers only an administrator’s session', async () => {
    expect((await h.call('GET', '/admin/payments')).status).toBe(401);
    const psu = await h.customerSession('alice');
    expect((await h.call('GET', '/admin/payments', { headers: { authorization: `Bearer ${psu}` } })).status).toBe(401);
    expect((await h.call('GET', `/admin/payments/${vrpIds[0]}`, { headers: { authorization: `Bearer ${psu}` } })).status).toBe(401);
  });
});
