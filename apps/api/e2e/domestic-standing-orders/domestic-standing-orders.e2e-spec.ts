import { executeDueStandingOrderRuns, OB_FREQUENCY6_CODES, parseStandingOrderFrequency, PaymentApprovalSeal } from '@consentry/consents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, JsonBody, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { ObAccount, PaymentFixtures } from '../support/payment-fixtures.js';

/** A request body the test builds (what it reads back is the harness's JsonBody). */
type JsonInput = { [member: string]: unknown };

const CONSENTS = '/open-banking/v4.0/pisp/domestic-standing-order-consents';

function expectPis(name: string, body: unknown): void {
  expectObSchema(name, body, 'payment-initiation');
}

describe('domestic standing orders', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let debtor: string;
  let creditorAccount: ObAccount;

  beforeAll(async () => {
    h = await ApiHarness.start('domestic_standing_order_consents');
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    [{ accountId: debtor }] = await fixtures.accountsOf('alice');
    [{ account: creditorAccount }] = await fixtures.accountsOf('bob', 1, 'Bob Builder');
  });
  afterAll(async () => h?.stop());

  function initiation(frequency = 'MNTH', extra: JsonInput = {}): JsonInput {
    return {
      NumberOfPayments: '3',
      FirstPaymentAmount: { Amount: '50.00', Currency: 'GBP' },
      RecurringPaymentAmount: { Amount: '20.00', Currency: 'GBP' },
      FinalPaymentAmount: { Amount: '5.00', Currency: 'GBP' },
      CreditorAccount: creditorAccount,
      RemittanceInformation: { Unstructured: ['Pocket money'] },
      MandateRelatedInformation: { Frequency: { Type: frequency }, FirstPaymentDateTime: '2049-01-15T08:00:00+00:00', Reason: 'Pocket money' },
      ...extra,
    };
  }

  function body(init: JsonInput = initiation()): JsonInput {
    return { Data: { Permission: 'Create', Initiation: init }, Risk: { PaymentContextCode: 'TransferToThirdParty' } };
  }

  async function createConsent(sent: JsonInput = body()): Promise<CallResult> {
    return h.signedPost(CONSENTS, { token: cc, body: sent });
  }

  function expectError(result: CallResult, status: number, code: string, path?: string): void {
    expect(result.status).toBe(status);
    expectObSchema('OBErrorResponse1', result.body, 'payment-initiation');
    expect(result.body.Errors[0]).toMatchObject({ ErrorCode: code, ...(path ? { Path: path } : {}) });
  }

  async function consentCount(): Promise<number> {
    const [row] = await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_consent WHERE kind = 'domestic-standing-order'`);
    return Number(row.n);
  }

  it('creates a consent awaiting authorisation and reads it back, shaped as OBWriteDomesticStandingOrderConsentResponse6', async () => {
    const sent = body();
    expectPis('OBWriteDomesticStandingOrderConsent5', sent);
    const created = await createConsent(sent);
    expect(created.status).toBe(201);
    expectPis('OBWriteDomesticStandingOrderConsentResponse6', created.body);
    expect(created.body.Data).toMatchObject({ Status: 'AWAU', Permission: 'Create', Initiation: initiation() });
    const id = jsonString(created.body.Data.ConsentId);
    expect(created.body.Links.Self).toBe(`${h.api.publicUrl}${CONSENTS}/${id}`);

    const read = await h.tpp('GET', `${CONSENTS}/${id}`, { token: cc });
    expect(read.status).toBe(200);
    expectPis('OBWriteDomesticStandingOrderConsentResponse6', read.body);
    expect(read.body.Data).toEqual(created.body.Data);
    expectError(await h.tpp('GET', `${CONSENTS}/pmc-00000000-0000-4000-8000-000000000000`, { token: cc }), 404, 'U011');
  });

  it('runs every OBFrequency6Code the bank supports and refuses the others with 400 U025, writing nothing', async () => {
    for (const code of new Set(OB_FREQUENCY6_CODES)) {
      const before = await consentCount();
      const result = await createConsent(body(initiation(code)));
      if (parseStandingOrderFrequency(code)) {
        expect(result.status, code).toBe(201);
        expect(await consentCount()).toBe(before + 1);
      } else {
        expectError(result, 400, 'U025', 'Data.Initiation.MandateRelatedInformation.Frequency.Type');
        expect(await consentCount()).toBe(before);
      }
    }
    expectError(await createConsent(body(initiation('IntrvlWkDay:01:03'))), 400, 'U025', 'Data.Initiation.MandateRelatedInformation.Frequency.Type');
  });

  it('refuses a schedule that cannot run with the exact code and Path', async () => {
    const before = await consentCount();
    expectError(await createConsent(body(initiation('MNTH', { FirstPaymentAmount: { Amount: '0.00', Currency: 'GBP' } }))), 400, 'U002', 'Data.Initiation.FirstPaymentAmount.Amount');
    expectError(await createConsent(body(initiation('MNTH', { FinalPaymentAmount: { Amount: '5.00', Currency: 'EUR' } }))), 400, 'U002', 'Data.Initiation.FinalPaymentAmount.Currency');
    expectError(await createConsent(body(initiation('MNTH', { NumberOfPayments: 'three' }))), 400, 'U002', 'Data.Initiation.NumberOfPayments');
    const both = initiation('MNTH');
    both.MandateRelatedInformation = { Frequency: { Type: 'MNTH' }, FirstPaymentDateTime: '2049-01-15T08:00:00+00:00', FinalPaymentDateTime: '2049-06-15T08:00:00+00:00' };
    expectError(await createConsent(body(both)), 400, 'U002', 'Data.Initiation.NumberOfPayments');
    const early = initiation('MNTH', { NumberOfPayments: undefined });
    early.MandateRelatedInformation = { Frequency: { Type: 'WEEK' }, FirstPaymentDateTime: '2049-01-15T08:00:00+00:00', FinalPaymentDateTime: '2049-01-01T08:00:00+00:00' };
    expectError(await createConsent(body(early)), 400, 'U002', 'Data.Initiation.MandateRelatedInformation.FinalPaymentDateTime');
    // Recurring runs from after the final date: only the first payment would ever be made.
    const never = initiation('MNTH', { NumberOfPayments: undefined, FinalPaymentAmount: { Amount: '5.00', Currency: 'GBP' } });
    never.MandateRelatedInformation = {
      Frequency: { Type: 'MNTH' },
      FirstPaymentDateTime: '2049-01-15T08:00:00+00:00',
      RecurringPaymentDateTime: '2052-01-15T08:00:00+00:00',
      FinalPaymentDateTime: '2050-01-15T08:00:00+00:00',
    };
    expectError(await createConsent(body(never)), 400, 'U002', 'Data.Initiation.MandateRelatedInformation.RecurringPaymentDateTime');
    const undated = initiation('MNTH');
    undated.MandateRelatedInformation = { Frequency: { Type: 'MNTH' } };
    expectError(await createConsent(body(undated)), 400, 'U004', 'Data.Initiation.MandateRelatedInformation.FirstPaymentDateTime');
    expectError(await createConsent({ Data: { Initiation: initiation() }, Risk: {} }), 400, 'U004', 'Data.Permission');
    // A first run already past (the worker would pay every missed run at once): U003, as a scheduled payment's date.
    // Terms no run would pay: a final amount in an order with no end, a recurring one in an order of one.
    expectError(await createConsent(body(initiation('MNTH', { NumberOfPayments: undefined }))), 400, 'U002', 'Data.Initiation.FinalPaymentAmount');
    expectError(await createConsent(body(initiation('MNTH', { NumberOfPayments: '1', FinalPaymentAmount: undefined }))), 400, 'U002', 'Data.Initiation.RecurringPaymentAmount');
    // The same order of one payment when its end is a FinalPaymentDateTime before the second run (until
    // 7 December 2026 accepted with its recurring and final amounts, and run once).
    const once = initiation('MNTH', { NumberOfPayments: undefined });
    once.MandateRelatedInformation = { Frequency: { Type: 'MNTH' }, FirstPaymentDateTime: '2049-01-15T08:00:00+00:00', FinalPaymentDateTime: '2049-02-01T08:00:00+00:00' };
    expectError(await createConsent(body(once)), 400, 'U002', 'Data.Initiation.RecurringPaymentAmount');
    const late = initiation('DAIL', { NumberOfPayments: undefined, FinalPaymentAmount: undefined });
    late.MandateRelatedInformation = { Frequency: { Type: 'DAIL' }, FirstPaymentDateTime: new Date(Date.now() - 30 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, '+00:00') };
    expectError(await createConsent(body(late)), 400, 'U003', 'Data.Initiation.MandateRelatedInformation.FirstPaymentDateTime');
    expect(await consentCount()).toBe(before);
  });

  it('is signed and idempotent: the same key and body answers the first consent again, another body is 409 U029', async () => {
    const first = await h.signedPost(CONSENTS, { token: cc, body: body(), idempotencyKey: 'so-consent-1' });
    const again = await h.signedPost(CONSENTS, { token: cc, body: body(), idempotencyKey: 'so-consent-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.Data.ConsentId).toBe(first.body.Data.ConsentId);
    expectError(await h.signedPost(CONSENTS, { token: cc, body: body(initiation('WEEK')), idempotencyKey: 'so-consent-1' }), 409, 'U029');
    expectError(await h.tpp('POST', CONSENTS, { token: cc, body: body(), headers: { 'x-idempotency-key': 'so-consent-2' } }), 400, 'U019');
  });

  it('binds the approval to the whole Initiation (frequency, amounts and dates) and audits the first amount', async () => {
    const { consentId } = await fixtures.approve(await createConsent(), debtor, 'payments');
    const [row] = await h.dataSource.query(`SELECT status, initiation, initiation_hash FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(row.status).toBe('AUTH');
    const approvals = new PaymentApprovalSeal(h.config.secretsKeys);
    const psuId = await h.psuId('alice');
    const approval = (terms: unknown) => ({ consentId, clientId: h.clientId, psuId, debtorAccountId: debtor, terms });
    expect(approvals.holds(row.initiation_hash, approval(row.initiation))).toBe(true);
    const changed = { ...row.initiation, FinalPaymentAmount: { Amount: '500.00', Currency: 'GBP' } };
    expect(approvals.holds(row.initiation_hash, approval(changed))).toBe(false);
    const [event] = await h.dataSource.query(
      `SELECT event->'data' AS data FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'consent.authorised'`,
      [consentId],
    );
    expect(event?.data).toMatchObject({ kind: 'domestic-standing-order', amount: '50.00', currency: 'GBP' });
  });

  describe('orders under an authorised consent', () => {
    const ORDERS = '/open-banking/v4.0/pisp/domestic-standing-orders';

    function orderInitiation(amount = '50.00'): JsonInput {
      return {
        NumberOfPayments: '2',
        FirstPaymentAmount: { Amount: amount, Currency: 'GBP' },
        CreditorAccount: creditorAccount,
        MandateRelatedInformation: { Frequency: { Type: 'WEEK' }, FirstPaymentDateTime: '2049-01-15T08:00:00+00:00' },
      };
    }

    async function authorised(init: JsonInput = orderInitiation(), risk: JsonInput = {}): Promise<{ consentId: string; psuToken: string }> {
      const created = await h.signedPost(CONSENTS, { token: cc, body: { Data: { Permission: 'Create', Initiation: init }, Risk: risk } });
      return fixtures.approve(created, debtor, 'payments');
    }

    function order(psuToken: string, consentId: string, init: JsonInput = orderInitiation(), risk: JsonInput = {}): Promise<CallResult> {
      const sent = { Data: { ConsentId: consentId, Initiation: init }, Risk: risk };
      expectPis('OBWriteDomesticStandingOrder3', sent);
      return h.signedPost(ORDERS, { token: psuToken, body: sent });
    }


    it('stores the order PDNG, consumes the consent and reads it back with client credentials', async () => {
      const { consentId, psuToken } = await authorised();
      const balanceBefore = await fixtures.available(debtor);
      const created = await order(psuToken, consentId);
      expect(created.status).toBe(201);
      expectPis('OBWriteDomesticStandingOrderResponse6', created.body);
      expect(created.body.Data).toMatchObject({ ConsentId: consentId, Status: 'PDNG', Initiation: orderInitiation() });
      const id = jsonString(created.body.Data.DomesticStandingOrderId);
      // Nothing is paid at set-up: the worker pays each run when it falls due.
      expect(await fixtures.available(debtor)).toBe(balanceBefore);

      const consent = await h.tpp('GET', `${CONSENTS}/${consentId}`, { token: cc });
      expect(consent.body.Data.Status).toBe('COND');
      const read = await h.tpp('GET', `${ORDERS}/${id}`, { token: cc });
      expect(read.status).toBe(200);
      expectPis('OBWriteDomesticStandingOrderResponse6', read.body);
      expect(read.body.Data).toEqual(created.body.Data);
      const details = await h.tpp('GET', `${ORDERS}/${id}/payment-details`, { token: cc });
      expect(details.status).toBe(200);
      expect(details.body.Data.PaymentStatus).toEqual([]);
      expectError(await h.tpp('GET', `${ORDERS}/dso-00000000-0000-4000-8000-000000000000`, { token: cc }), 404, 'U011');
      const [event] = await h.dataSource.query(`SELECT event->'data' AS data FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'payment.submitted'`, [consentId]);
      expect(event.data).toMatchObject({ paymentId: id, kind: 'domestic-standing-order', amount: '50.00', largestAmount: '50.00', frequency: 'WEEK' });
    });

    it('pages a long order\'s payment-details, oldest run first: Next to the end, Prev back, Last; every run once', async () => {
      const { consentId, psuToken } = await authorised(orderInitiation('90.00'));
      const id = jsonString((await order(psuToken, consentId, orderInitiation('90.00'))).body.Data.DomesticStandingOrderId);
      // 205 runs as the worker records them (a daily order after seven months): three pages of 100.
      await h.dataSource.query(
        `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, ledger_transaction_id, status_update_date_time)
         SELECT $1, n, $1 || '-run-' || n, timestamptz '2049-01-15 08:00Z' + n * interval '1 day', 20, 'GBP', 'ACSC', $1 || '-run-' || n, timestamptz '2049-01-15 08:00Z' + n * interval '1 day'
           FROM generate_series(0, 204) n`,
        [id],
      );
      const base = `${ORDERS}/${id}/payment-details`;
      const local = (link: unknown) => jsonString(link).slice(h.api.publicUrl.length);
      async function read(path: string): Promise<{ ids: string[]; links: JsonBody; totalPages: unknown }> {
        const answer = await h.tpp('GET', path, { token: cc });
        expect(answer.status).toBe(200);
        expectPis('OBWritePaymentDetailsResponse1', answer.body);
        expect(answer.body.Links.Self).toBe(`${h.api.publicUrl}${path}`);
        expect(answer.body.Links.First).toBe(`${h.api.publicUrl}${base}`);
        const ids = answer.body.Data.PaymentStatus.map((run) => jsonString(run.PaymentTransactionId));
        return { ids, links: answer.body.Links, totalPages: answer.body.Meta.TotalPages };
      }
      const forward: string[][] = [];
      let path: string | null = base;
      while (path) {
        const page = await read(path);
        expect(page.totalPages).toBe(3);
        expect(page.links.Prev === undefined).toBe(forward.length === 0);
        forward.push(page.ids);
        path = page.links.Next ? local(page.links.Next) : null;
      }
      expect(forward.map((ids) => ids.length)).toEqual([100, 100, 5]);
      expect(forward.flat()).toEqual(Array.from({ length: 205 }, (_, n) => `${id}-run-${n}`));
      // The final page under Links.Last is the one Next ended on; Prev from there walks back through the same pages.
      const first = await read(base);
      const last = await read(local(first.links.Last));
      expect(last.ids).toEqual(forward[2]);
      expect(last.links.Next).toBeUndefined();
      const backward: string[][] = [];
      path = local(first.links.Last);
      while (path) {
        const page = await read(path);
        backward.push(page.ids);
        path = page.links.Prev ? local(page.links.Prev) : null;
      }
      expect(backward.reverse()).toEqual(forward);
      // A cursor this API did not issue: 400 U002 on `page`; any other query parameter: 400.
      expectError(await h.tpp('GET', `${base}?page=${Buffer.from(JSON.stringify(['>', -1])).toString('base64url')}`, { token: cc }), 400, 'U002', 'page');
      expectError(await h.tpp('GET', `${base}?page=not-a-cursor`, { token: cc }), 400, 'U002', 'page');
      expect((await h.tpp('GET', `${base}?limit=5`, { token: cc })).status).toBe(400);
    });

    it('refuses a second order on a consent with U009 and an Initiation unlike the consent with U008', async () => {
      const { consentId, psuToken } = await authorised(orderInitiation('60.00'));
      expectError(await order(psuToken, consentId, orderInitiation('61.00')), 400, 'U008', 'Data.Initiation');
      expect((await order(psuToken, consentId, orderInitiation('60.00'))).status).toBe(201);
      expectError(await order(psuToken, consentId, orderInitiation('60.00')), 400, 'U009');
    });

    it('refuses an order of nothing with U002 on the amount and one whose Risk is not the consent’s with U008 on Risk, writing nothing', async () => {
      const risk = { PaymentContextCode: 'TransferToThirdParty' };
      const init = orderInitiation('80.00');
      const { consentId, psuToken } = await authorised(init, risk);
      const balanceBefore = await fixtures.available(debtor);
      // Each amount of the schedule (first, recurring, final) is a body check, before the consent's U008.
      for (const [member, path] of [
        ['FirstPaymentAmount', 'Data.Initiation.FirstPaymentAmount.Amount'],
        ['RecurringPaymentAmount', 'Data.Initiation.RecurringPaymentAmount.Amount'],
        ['FinalPaymentAmount', 'Data.Initiation.FinalPaymentAmount.Amount'],
      ] as const) {
        expectError(await order(psuToken, consentId, { ...init, [member]: { Amount: '0.00', Currency: 'GBP' } }, risk), 400, 'U002', path);
      }
      for (const other of [{}, { PaymentContextCode: 'EcommerceMerchantInitiatedPayment', MerchantCustomerIdentification: 'attacker' }]) {
        const refused = await order(psuToken, consentId, init, other);
        expectError(refused, 400, 'U008', 'Risk');
        expect(refused.body.Errors).toEqual([{ ErrorCode: 'U008', Message: 'The Risk differs from the consent’s', Path: 'Risk' }]);
      }
      const [row] = await h.dataSource.query(`SELECT count(*)::int AS n FROM domestic_standing_order WHERE consent_id = $1`, [consentId]);
      expect(row.n).toBe(0);
      const [{ status }] = await h.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [consentId]);
      expect(status).toBe('AUTH');
      expect(await fixtures.available(debtor)).toBe(balanceBefore);
      expect((await order(psuToken, consentId, init, risk)).status).toBe(201);
    });

    it('refuses an order whose consent row changed after approval with U008, writing nothing', async () => {
      const { consentId, psuToken } = await authorised(orderInitiation('70.00'));
      await h.dataSource.query(`UPDATE payment_consent SET initiation = jsonb_set(initiation, '{FirstPaymentAmount,Amount}', '"7000.00"') WHERE consent_id = $1`, [consentId]);
      const changed = orderInitiation('7000.00');
      expectError(await order(psuToken, consentId, changed), 400, 'U008', 'Data.ConsentId');
      const [row] = await h.dataSource.query(`SELECT count(*)::int AS n FROM domestic_standing_order WHERE consent_id = $1`, [consentId]);
      expect(row.n).toBe(0);
    });

    it('lets the PSU cancel their order from the customer API: CANC, audited, off the due runs; another PSU gets 404', async () => {
      const { consentId, psuToken } = await authorised(orderInitiation('80.00'));
      const id = jsonString((await order(psuToken, consentId, orderInitiation('80.00'))).body.Data.DomesticStandingOrderId);
      const bob = await h.call('DELETE', `/customer/standing-orders/${id}`, { headers: { authorization: `Bearer ${await h.customerSession('bob')}` } });
      expect(bob.status).toBe(404);
      expect(bob.body).toEqual({ error: 'not_found', message: 'No such standing order' });
      expect((await h.call('DELETE', `/customer/standing-orders/${id}`)).status).toBe(401);

      const alice = `Bearer ${await h.customerSession('alice')}`;
      const cancelled = await h.call('DELETE', `/customer/standing-orders/${id}`, { headers: { authorization: alice } });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toEqual({ standingOrderId: id, status: 'CANC', runWithBank: false });
      const read = await h.tpp('GET', `${ORDERS}/${id}`, { token: cc });
      expectPis('OBWriteDomesticStandingOrderResponse6', read.body);
      expect(read.body.Data.Status).toBe('CANC');
      const [row] = await h.dataSource.query(`SELECT next_run_at FROM domestic_standing_order WHERE standing_order_id = $1`, [id]);
      expect(row.next_run_at).toBeNull();
      const [event] = await h.dataSource.query(
        `SELECT event->'actor'->>'type' AS actor, event->'data' AS data FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'payment.status-changed'`,
        [consentId],
      );
      expect(event).toMatchObject({ actor: 'psu', data: { paymentId: id, from: 'PDNG', to: 'CANC' } });
      // Once cancelled it stays so: a second cancel is refused.
      expect((await h.call('DELETE', `/customer/standing-orders/${id}`, { headers: { authorization: alice } })).status).toBe(409);
    });

    it('lists the order to its PSU in words, with each paid run as a payment, and to the admin among all payments', async () => {
      const { consentId, psuToken } = await authorised(orderInitiation('15.00'));
      const id = jsonString((await order(psuToken, consentId, orderInitiation('15.00'))).body.Data.DomesticStandingOrderId);
      await fixtures.setBalance(debtor, '500.00', '0');
      // The worker's job, at the first run's date (the other orders of this file are due then too).
      await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2049-01-15T08:00:00Z'), { approvals: h.approvals() });
      const runId = `${id}-run-0`;

      const alice = { authorization: `Bearer ${await h.customerSession('alice')}` };
      const consents = await h.call('GET', '/customer/payment-consents', { headers: alice });
      expect(consents.status).toBe(200);
      type Listed = { consentId: string; payments: Array<{ paymentId: string }>; standingOrder: { schedule: Array<{ value: string }> } };
      const consent = (consents.body.consents as unknown as Listed[]).find((c) => c.consentId === consentId)!;
      expect(consent).toMatchObject({
        kind: 'domestic-standing-order',
        status: 'COND',
        standingOrder: { standingOrderId: id, status: 'PDNG', nextRunAt: '2049-01-22T08:00:00.000Z' },
      });
      expect(consent.payments.map((p) => p.paymentId)).toEqual([runId]);
      expect(consent.standingOrder.schedule.map((line) => line.value)).toEqual([
        'Every week',
        '15.00 GBP on 15 Jan 2049, 08:00 UTC',
        '15.00 GBP each time',
        'After 2 payments',
      ]);
      const listed = await h.call('GET', `/customer/payment-consents/${consentId}/payments`, { headers: alice });
      expect(listed.body.payments).toEqual([
        expect.objectContaining({ paymentId: runId, kind: 'domestic-standing-order', status: 'ACSP', amount: { amount: '15.00', currency: 'GBP' }, creationDateTime: '2049-01-15T08:00:00.000Z' }),
      ]);
      // Payee masked, never the account number.
      expect(JSON.stringify([consents.body, listed.body])).not.toContain(creditorAccount.Identification);

      const admin = { authorization: `Bearer ${await h.adminSession()}` };
      const all = await h.call('GET', `/admin/payments?consentId=${consentId}`, { headers: admin });
      expect(all.status).toBe(200);
      expect((all.body.payments as unknown as Array<{ paymentId: string }>).map((p) => p.paymentId)).toEqual([runId]);
    });

    it('ends INFA, not INCO, when its last run is rejected, and says why on the order and in payment-details', async () => {
      // An account of its own, and dates after every other order's: the worker's job touches no one else's runs.
      const [, { accountId: own }] = await fixtures.accountsOf('alice', 2);
      const init = { ...orderInitiation('10.00'), MandateRelatedInformation: { Frequency: { Type: 'WEEK' }, FirstPaymentDateTime: '2050-01-15T08:00:00+00:00' } };
      const created = await h.signedPost(CONSENTS, { token: cc, body: { Data: { Permission: 'Create', Initiation: init }, Risk: {} } });
      const { consentId, psuToken } = await fixtures.approve(created, own!, 'payments');
      const id = jsonString((await order(psuToken, consentId, init)).body.Data.DomesticStandingOrderId);
      await fixtures.setBalance(own!, '15.00', '0');
      await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2050-01-15T08:00:00Z'), { approvals: h.approvals() });
      await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2050-01-22T08:00:00Z'), { approvals: h.approvals() });

      // OB_Internal_CodeSet: INFA "set up successfully but the individual payment has failed" (until 8
      // December 2026 it read INCO, "... successfully completed"), with the run's reason.
      const read = await h.tpp('GET', `${ORDERS}/${id}`, { token: cc });
      expectPis('OBWriteDomesticStandingOrderResponse6', read.body);
      expect(read.body.Data).toMatchObject({ Status: 'INFA', StatusReason: [{ StatusReasonCode: 'AM04' }] });
      // A run refused AM04 says why in payment-details too, as a VRP's did (it read a bare RJCT).
      const details = await h.tpp('GET', `${ORDERS}/${id}/payment-details`, { token: cc });
      expectPis('OBWritePaymentDetailsResponse1', details.body);
      expect(details.body.Data.PaymentStatus).toEqual([
        expect.objectContaining({ Status: 'ACSP' }),
        expect.objectContaining({ Status: 'RJCT', StatusDetail: { Status: 'RJCT', StatusReason: 'AM04' } }),
      ]);
      expect(JSON.stringify(details.body.Data.PaymentStatus[0])).not.toContain('StatusDetail');
    });
  });
});
