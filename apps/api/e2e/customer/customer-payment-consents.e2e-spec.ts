import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, JsonBody, jsonString } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures, ListedAccount } from '../support/payment-fixtures.js';

/**
 * The PSU's payment consents on the customer API: domestic payment, VRP and funds-confirmation consents
 * with their payments, keyset-paged, the payee masked and no account number anywhere; only the PSU's
 * own; a VRP consent revoked here refuses the next VRP.
 */
describe('customer API: payment consents', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let alice: ListedAccount;
  let bob: ListedAccount;
  let gym: ObAccount;
  let vrp: { consentId: string; psuToken: string };
  let domestic: { consentId: string; paymentId: string };
  let funds: { consentId: string };
  let bobsVrp: { consentId: string };
  const vrpIds: string[] = [];

  beforeAll(async () => {
    h = await ApiHarness.start('customer_payment_consents');
    fixtures = await PaymentFixtures.of(h);
    alice = await fixtures.gbpAccount('alice', 'Alice');
    bob = await fixtures.gbpAccount('bob', 'Bob');
    // The payee is bob's account: its full number must never show in alice's answers.
    gym = { ...bob.account, Name: 'Bob’s Gym' };
    vrp = await fixtures.vrpConsent('alice', alice, gym);
    for (let i = 0; i < 7; i++) {
      const paid = await fixtures.vrp(vrp.psuToken, vrp.consentId, gym, `${10 + i}.00`, `GYM-${i}`);
      expect(paid.status).toBe(201);
      vrpIds.push(jsonString(paid.body.Data.DomesticVRPId));
    }
    domestic = await fixtures.paidDomesticPayment('alice', alice, gym, '25.50');
    funds = await fixtures.fundsConfirmationConsent('alice', alice);
    bobsVrp = await fixtures.vrpConsent('bob', bob, { ...alice.account, Name: 'Alice' });
    expect((await fixtures.vrp((await h.consentToken(bobsVrp.consentId, { scope: 'payments' })), bobsVrp.consentId, { ...alice.account, Name: 'Alice' }, '5.00', 'BOB-1')).status).toBe(201);
  });
  afterAll(async () => h?.stop());

  async function get(path: string, username = 'alice'): Promise<CallResult> {
    return h.call('GET', path, { headers: { authorization: `Bearer ${await h.customerSession(username)}` } });
  }

  function expectNoAccountNumber(body: unknown): void {
    const text = JSON.stringify(body);
    for (const number of [alice.account.Identification, bob.account.Identification]) expect(text).not.toContain(number);
  }

  it('lists the PSU’s payment, VRP and funds-confirmation consents newest first, in plain words, with payees masked', async () => {
    const result = await get('/customer/payment-consents');
    expect(result.status).toBe(200);
    expect(result.body.next).toBeNull();
    const consents = result.body.consents;
    expect(consents.map((c: JsonBody) => String(c.consentId))).toEqual([funds.consentId, domestic.consentId, vrp.consentId]);
    expect(consents.map((c: JsonBody) => String(c.kind))).toEqual(['funds-confirmation', 'domestic-payment', 'domestic-vrp']);
    expect(consents.map((c: JsonBody) => c.revocable)).toEqual([true, false, true]);
    const masked = `${'*'.repeat(bob.account.Identification.length - 4)}${bob.account.Identification.slice(-4)}`;

    const [cof, single, recurring] = consents;
    expect(recurring).toMatchObject({
      tpp: { clientId: h.clientId, name: 'Sandbox Budgeting App' },
      status: 'AUTH',
      payee: { name: 'Bob’s Gym', account: masked },
      amount: null,
      controlParameters: {
        types: ['Payments to someone else'],
        maximumPerPayment: '50.00 GBP',
        periodicLimits: ['200.00 GBP per calendar month'],
        validFrom: null,
        validTo: null,
      },
      debtorAccount: { ...alice.shownAs, currency: 'GBP' },
    });
    // The five newest payments, newest first, and a cursor for the rest.
    expect(recurring!.payments.map((p: JsonBody) => String(p.paymentId))).toEqual(vrpIds.slice(2).reverse());
    expect(recurring!.payments[0]).toMatchObject({ kind: 'domestic-vrp', status: 'ACSP', amount: { amount: '16.00', currency: 'GBP' }, payee: { name: 'Bob’s Gym', account: masked } });
    expect(recurring!.morePayments).toEqual(expect.any(String));

    expect(single).toMatchObject({ status: 'COND', amount: { amount: '25.50', currency: 'GBP' }, controlParameters: null, morePayments: null });
    expect(single!.payments.map((p: JsonBody) => String(p.paymentId))).toEqual([domestic.paymentId]);
    expect(cof).toMatchObject({ status: 'AUTH', payee: null, payments: [], debtorAccount: alice.shownAs });
    expectNoAccountNumber(result.body);
  });

  it('never shows another PSU’s consents or payments', async () => {
    const alices = await get('/customer/payment-consents');
    expect(JSON.stringify(alices.body)).not.toContain(bobsVrp.consentId);
    const bobs = await get('/customer/payment-consents', 'bob');
    expect(bobs.body.consents.map((c: JsonBody) => String(c.consentId))).toEqual([bobsVrp.consentId]);
    const foreign = await get(`/customer/payment-consents/${bobsVrp.consentId}/payments`);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({ error: 'not_found', message: 'No such payment consent' });
    // Nor can alice revoke it: the same 404 as for a consent that does not exist.
    const revoke = await h.call('DELETE', `/customer/consents/${bobsVrp.consentId}`, { headers: { authorization: `Bearer ${await h.customerSession('alice')}` } });
    expect(revoke.status).toBe(404);
    const [row] = await h.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [bobsVrp.consentId]);
    expect(row.status).toBe('AUTH');
  });

  it('pages consents and a consent’s payments by keyset, without gaps or repeats', async () => {
    const first = await get('/customer/payment-consents?limit=2');
    expect(first.body.consents).toHaveLength(2);
    const second = await get(`/customer/payment-consents?limit=2&cursor=${jsonString(first.body.next)}`);
    expect(second.status).toBe(200);
    expect(second.body.next).toBeNull();
    expect([...first.body.consents, ...second.body.consents].map((c: JsonBody) => String(c.consentId))).toEqual([funds.consentId, domestic.consentId, vrp.consentId]);

    const listed = (await get('/customer/payment-consents')).body.consents[2]!;
    const rest = await get(`/customer/payment-consents/${vrp.consentId}/payments?cursor=${jsonString(listed.morePayments)}`);
    expect(rest.status).toBe(200);
    expect(rest.body.payments.map((p: JsonBody) => String(p.paymentId))).toEqual([vrpIds[1], vrpIds[0]]);
    expect(rest.body.next).toBeNull();

    const collected: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page: CallResult = await get(`/customer/payment-consents/${vrp.consentId}/payments?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.payments.length).toBeLessThanOrEqual(3);
      collected.push(...page.body.payments.map((p: JsonBody) => String(p.paymentId)));
      cursor = page.body.next === null ? null : jsonString(page.body.next);
      if (cursor === null) break;
    }
    expect(collected).toEqual([...vrpIds].reverse());
    expectNoAccountNumber(rest.body);
  });

  it('refuses bad paging input with a problem body, never a 500', async () => {
    for (const query of ['limit=0', 'limit=51', 'limit=x', 'cursor=not*valid', 'sort=asc']) {
      const result = await get(`/customer/payment-consents?${query}`);
      expect(result.status, query).toBe(400);
      expect(result.body.error, query).toBe('invalid_request');
    }
    const forged = Buffer.from(JSON.stringify(['1', "x' OR 1=1"])).toString('base64url');
    const result = await get(`/customer/payment-consents/${vrp.consentId}/payments?cursor=${forged}`);
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: 'invalid_request', message: 'The page cursor is not valid' });
    expect((await get(`/customer/payment-consents/${vrp.consentId}/payments?limit=101`)).status).toBe(400);
    expect((await h.call('GET', '/customer/payment-consents')).status).toBe(401);
  });

  it('revokes a VRP consent: listed as no longer revocable, and the next VRP is refused', async () => {
    const session = await h.customerSession('alice');
    const revoked = await h.call('DELETE', `/customer/consents/${vrp.consentId}`, { headers: { authorization: `Bearer ${session}` } });
    expect(revoked.status).toBe(204);
    expect((await fixtures.vrp(vrp.psuToken, vrp.consentId, gym, '1.00', 'GYM-AFTER')).status).toBe(401);
    const listed = (await get('/customer/payment-consents')).body.consents.find((c: JsonBody) => String(c.consentId) === vrp.consentId);
    expect(listed).toMatchObject({ status: 'CANC', revocable: false, statusReasonDescription: 'Revoked by the PSU' });
    const [{ n }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM vrp_payment WHERE consent_id = $1`, [vrp.consentId]);
    expect(n).toBe(7);
    // A domestic payment consent cannot be revoked.
    const domesticRevoke = await h.call('DELETE', `/customer/consents/${domestic.consentId}`, { headers: { authorization: `Bearer ${session}` } });
    expect(domesticRevoke.status).toBe(409);
  });
});
