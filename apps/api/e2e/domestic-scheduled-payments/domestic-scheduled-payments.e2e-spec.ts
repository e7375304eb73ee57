import { cancelScheduledPayment, ConsentException, executeDueScheduledPayments } from '@consentry/consents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { ObAccount, PaymentFixtures } from '../support/payment-fixtures.js';

/** A request body the test builds (what it reads back is the harness's JsonBody). */
type JsonInput = { [member: string]: unknown };

const PISP = '/open-banking/v4.0/pisp';
const CONSENTS = `${PISP}/domestic-scheduled-payment-consents`;
const PAYMENTS = `${PISP}/domestic-scheduled-payments`;
const DAY = 86_400_000;

function expectPis(name: string, body: unknown): void {
  expectObSchema(name, body, 'payment-initiation');
}

/** An OB date-time, to the second, with its offset. */
function obDate(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

describe('domestic scheduled payments', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let debtor: string;
  let payee: ObAccount;

  beforeAll(async () => {
    h = await ApiHarness.start('domestic_scheduled_payments');
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    [{ accountId: debtor }] = await fixtures.accountsOf('alice');
    [{ account: payee }] = await fixtures.accountsOf('bob', 1, 'Bob Builder');
  });
  afterAll(async () => h?.stop());

  function initiation(on: Date, amount = '40.00', reference = 'RENT-1'): JsonInput {
    return {
      InstructionIdentification: `I-${reference}`,
      EndToEndIdentification: reference,
      RequestedExecutionDateTime: obDate(on),
      InstructedAmount: { Amount: amount, Currency: 'GBP' },
      CreditorAccount: payee,
    };
  }

  /** The Risk every consent of this suite is created with, and so its orders are sent with (U008 otherwise). */
  const RISK = { PaymentContextCode: 'TransferToThirdParty' };

  function consentBody(init: JsonInput): JsonInput {
    return { Data: { Permission: 'Create', Initiation: init }, Risk: RISK };
  }

  function expectError(result: CallResult, status: number, code: string, path?: string): void {
    expect(result.status, JSON.stringify(result.body)).toBe(status);
    expectPis('OBErrorResponse1', result.body);
    expect(result.body.Errors[0]).toMatchObject({ ErrorCode: code, ...(path ? { Path: path } : {}) });
  }

  /** A consent for `init`, approved by alice for her account, and the order placed under it. */
  async function placed(init: JsonInput): Promise<{ consentId: string; psuToken: string; order: CallResult }> {
    const body = consentBody(init);
    expectPis('OBWriteDomesticScheduledConsent4', body);
    const { consentId, psuToken } = await fixtures.approve(await h.signedPost(CONSENTS, { token: cc, body }), debtor, 'payments');
    const orderBody = { Data: { ConsentId: consentId, Initiation: init }, Risk: RISK };
    expectPis('OBWriteDomesticScheduled2', orderBody);
    return { consentId, psuToken, order: await h.signedPost(PAYMENTS, { token: psuToken, body: orderBody }) };
  }

  it('creates a consent for a date, shaped as OBWriteDomesticScheduledConsentResponse5, and refuses a date in the past', async () => {
    const on = new Date(Date.now() + 3 * DAY);
    const created = await h.signedPost(CONSENTS, { token: cc, body: consentBody(initiation(on)) });
    expect(created.status).toBe(201);
    expectPis('OBWriteDomesticScheduledConsentResponse5', created.body);
    expect(created.body.Data).toMatchObject({ Status: 'AWAU', Permission: 'Create', Initiation: initiation(on) });
    const read = await h.tpp('GET', `${CONSENTS}/${jsonString(created.body.Data.ConsentId)}`, { token: cc });
    expect(read.status).toBe(200);
    expect(read.body.Data).toEqual(created.body.Data);

    const [{ n: before }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_consent`);
    expectError(await h.signedPost(CONSENTS, { token: cc, body: consentBody(initiation(new Date(Date.now() - DAY))) }), 400, 'U003', 'Data.Initiation.RequestedExecutionDateTime');
    const noPermission = { Data: { Initiation: initiation(on) }, Risk: {} };
    expectError(await h.signedPost(CONSENTS, { token: cc, body: noPermission }), 400, 'U004', 'Data.Permission');
    const undated = { ...initiation(on) };
    delete undated.RequestedExecutionDateTime;
    expectError(await h.signedPost(CONSENTS, { token: cc, body: consentBody(undated) }), 400, 'U004', 'Data.Initiation.RequestedExecutionDateTime');
    const [{ n: after }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_consent`);
    expect(after).toBe(before);
  });

  it('places the order PDNG without a debit, runs it on its date and only then, once', async () => {
    await fixtures.setBalance(debtor, '500.00');
    const on = new Date(Date.now() + 2 * DAY);
    const { order } = await placed(initiation(on, '40.00', 'RENT-RUN'));
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    expectPis('OBWriteDomesticScheduledResponse5', order.body);
    expect(order.body.Data.Status).toBe('PDNG');
    expect(Date.parse(jsonString(order.body.Data.ExpectedExecutionDateTime))).toBe(Date.parse(obDate(on)));
    const paymentId = jsonString(order.body.Data.DomesticScheduledPaymentId);
    expect(await fixtures.available(debtor)).toBe('500.00000');

    // Not the immediate-payment resource.
    expectError(await h.tpp('GET', `${PISP}/domestic-payments/${paymentId}`, { token: cc }), 404, 'U011');

    const bank = h.bank();
    // The day before: nothing runs.
    expect(await executeDueScheduledPayments(h.dataSource, bank, new Date(on.getTime() - DAY), { approvals: h.approvals() })).toEqual({ executed: 0, deferred: 0 });
    expect((await h.tpp('GET', `${PAYMENTS}/${paymentId}`, { token: cc })).body.Data.Status).toBe('PDNG');
    // On its date: debited once, ACSP; a second run (two workers, or a job run twice) finds nothing.
    const [first, second] = await Promise.all([executeDueScheduledPayments(h.dataSource, bank, on, { approvals: h.approvals() }), executeDueScheduledPayments(h.dataSource, bank, on, { approvals: h.approvals() })]);
    expect(first.executed + second.executed).toBe(1);
    expect(await executeDueScheduledPayments(h.dataSource, bank, new Date(on.getTime() + DAY), { approvals: h.approvals() })).toEqual({ executed: 0, deferred: 0 });
    expect(await fixtures.available(debtor)).toBe('460.00000');

    const read = await h.tpp('GET', `${PAYMENTS}/${paymentId}`, { token: cc });
    expectPis('OBWriteDomesticScheduledResponse5', read.body);
    expect(read.body.Data.Status).toBe('ACSP');
    const details = await h.tpp('GET', `${PAYMENTS}/${paymentId}/payment-details`, { token: cc });
    expectPis('OBWritePaymentDetailsResponse1', details.body);
    expect(details.body.Data.PaymentStatus[0]).toMatchObject({ Status: 'ACSP' });
    const events: Array<{ type: string; to: string | null }> = await h.dataSource.query(
      `SELECT event->>'type' AS type, event->'data'->>'to' AS to FROM audit_outbox WHERE event->'data'->>'paymentId' = $1 ORDER BY created_seq`,
      [paymentId],
    );
    expect(events).toEqual([
      { type: 'payment.submitted', to: null },
      { type: 'payment.status-changed', to: 'ACSP' },
    ]);
  });

  it('rejects on its date a payment the funds do not cover (AM04), debiting nothing', async () => {
    await fixtures.setBalance(debtor, '10.00');
    const on = new Date(Date.now() + DAY);
    const { order } = await placed(initiation(on, '25.00', 'RENT-POOR'));
    expect((await executeDueScheduledPayments(h.dataSource, h.bank(), on, { approvals: h.approvals() })).executed).toBe(1);
    const read = await h.tpp('GET', `${PAYMENTS}/${jsonString(order.body.Data.DomesticScheduledPaymentId)}`, { token: cc });
    expect(read.body.Data).toMatchObject({ Status: 'RJCT', StatusReason: [{ StatusReasonCode: 'AM04' }] });
    expect(await fixtures.available(debtor)).toBe('10.00000');
    // The rejection names the PSU, whose "scheduled payment was not made" alert follows it.
    const [change] = await h.dataSource.query(
      `SELECT o.event->>'psuId' AS psu_id, c.psu_id::text AS consent_psu FROM audit_outbox o JOIN payment_consent c ON c.consent_id = o.event->>'consentId'
        WHERE o.event->>'type' = 'payment.status-changed' AND o.event->'data'->>'paymentId' = $1`,
      [order.body.Data.DomesticScheduledPaymentId],
    );
    expect(change).toEqual({ psu_id: expect.any(String), consent_psu: change.psu_id });
  });

  it('replays an order sent again under its key: the first answer, stored with the order, and nothing more', async () => {
    const on = new Date(Date.now() + 4 * DAY);
    const init = initiation(on, '4.00', 'RENT-AGAIN');
    const { consentId, psuToken } = await fixtures.approve(await h.signedPost(CONSENTS, { token: cc, body: consentBody(init) }), debtor, 'payments');
    const orderBody = { Data: { ConsentId: consentId, Initiation: init }, Risk: RISK };
    const first = await h.signedPost(PAYMENTS, { token: psuToken, body: orderBody, idempotencyKey: 'scheduled-again-1' });
    expect(first.status).toBe(201);
    const again = await h.signedPost(PAYMENTS, { token: psuToken, body: orderBody, idempotencyKey: 'scheduled-again-1' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const [{ count }] = await h.dataSource.query(`SELECT count(*)::int AS count FROM domestic_payment WHERE consent_id = $1`, [consentId]);
    expect(count).toBe(1);
  });

  it('replays a scheduled payment, its consent, a standing order and a VRP consent sent again under their keys once their date has passed', async () => {
    // Dates a few seconds ahead, so that the replays come after them.
    const on = new Date(Math.ceil((Date.now() + 4000) / 1000) * 1000);
    const init = initiation(on, '3.00', 'RENT-LATE');
    const consentRequest = { token: cc, body: consentBody(init), idempotencyKey: 'scheduled-late-consent' };
    const created = await h.signedPost(CONSENTS, consentRequest);
    const { consentId, psuToken } = await fixtures.approve(created, debtor, 'payments');
    const orderRequest = { token: psuToken, body: { Data: { ConsentId: consentId, Initiation: init }, Risk: RISK }, idempotencyKey: 'scheduled-late-order' };
    const first = await h.signedPost(PAYMENTS, orderRequest);
    expect(first.status).toBe(201);
    const standingInit = {
      NumberOfPayments: '2',
      FirstPaymentAmount: { Amount: '2.00', Currency: 'GBP' },
      CreditorAccount: payee,
      MandateRelatedInformation: { Frequency: { Type: 'WEEK' }, FirstPaymentDateTime: obDate(on) },
    };
    const standing = await fixtures.approve(await h.signedPost(`${PISP}/domestic-standing-order-consents`, { token: cc, body: consentBody(standingInit) }), debtor, 'payments');
    const standingRequest = { token: standing.psuToken, body: { Data: { ConsentId: standing.consentId, Initiation: standingInit }, Risk: RISK }, idempotencyKey: 'standing-late-order' };
    const standingFirst = await h.signedPost(`${PISP}/domestic-standing-orders`, standingRequest);
    expect(standingFirst.status).toBe(201);
    // A VRP consent whose validity window ends then, too.
    const vrpConsentRequest = {
      token: cc,
      body: {
        Data: {
          ControlParameters: {
            VRPType: ['UK.OBIE.VRPType.Other'],
            PSUAuthenticationMethods: ['UK.OBIE.SCA'],
            MaximumIndividualAmount: { Amount: '5.00', Currency: 'GBP' },
            PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '20.00', Currency: 'GBP' }],
            ValidToDateTime: obDate(on),
          },
          Initiation: { CreditorAccount: payee },
        },
        Risk: {},
      },
      idempotencyKey: 'vrp-consent-late',
    };
    const vrpConsentFirst = await h.signedPost(`${PISP}/domestic-vrp-consents`, vrpConsentRequest);
    expect(vrpConsentFirst.status).toBe(201);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, on.getTime() + 200 - Date.now())));
    // Until 7 December 2026 each was refused 400 U003 (its date was checked before its key): a TPP that had
    // lost the first answer was told the order did not stand, and would have paid again.
    for (const [again, firstAnswer] of [
      [await h.signedPost(PAYMENTS, orderRequest), first],
      [await h.signedPost(CONSENTS, consentRequest), created],
      [await h.signedPost(`${PISP}/domestic-standing-orders`, standingRequest), standingFirst],
      [await h.signedPost(`${PISP}/domestic-vrp-consents`, vrpConsentRequest), vrpConsentFirst],
    ] as const) {
      expect(again.status, JSON.stringify(again.body)).toBe(201);
      expect(again.body).toEqual(firstAnswer.body);
    }
    const [{ count }] = await h.dataSource.query(`SELECT count(*)::int AS count FROM domestic_payment WHERE consent_id = $1`, [consentId]);
    expect(count).toBe(1);
    // The PSU cancels it: due now, it would be paid by the next test's run of the due payments.
    await cancelScheduledPayment(h.dataSource, { paymentId: jsonString(first.body.Data.DomesticScheduledPaymentId), psuId: await h.psuId('alice') });
    // A new request with the passed date is still refused.
    expectError(await h.signedPost(CONSENTS, { token: cc, body: consentBody(init) }), 400, 'U003', 'Data.Initiation.RequestedExecutionDateTime');
  });

  it('refuses a second order (U009) and an order whose date is not the consent’s (U008)', async () => {
    const on = new Date(Date.now() + 4 * DAY);
    const { consentId, psuToken, order } = await placed(initiation(on, '5.00', 'RENT-TWICE'));
    expect(order.status).toBe(201);
    expectError(await h.signedPost(PAYMENTS, { token: psuToken, body: { Data: { ConsentId: consentId, Initiation: initiation(on, '5.00', 'RENT-TWICE') }, Risk: RISK } }), 400, 'U009');

    const body = consentBody(initiation(on, '6.00', 'RENT-MOVED'));
    const approved = await fixtures.approve(await h.signedPost(CONSENTS, { token: cc, body }), debtor, 'payments');
    const moved = { Data: { ConsentId: approved.consentId, Initiation: initiation(new Date(on.getTime() + DAY), '6.00', 'RENT-MOVED') }, Risk: RISK };
    expectError(await h.signedPost(PAYMENTS, { token: approved.psuToken, body: moved }), 400, 'U008', 'Data.Initiation');
  });

  it('refuses an order of nothing with 400 U002 and one whose Risk is not the consent’s with 400 U008 on Risk, writing nothing', async () => {
    await fixtures.setBalance(debtor, '500.00');
    const on = new Date(Date.now() + 4 * DAY);
    const init = initiation(on, '7.00', 'RENT-RISK');
    const { consentId, psuToken } = await fixtures.approve(await h.signedPost(CONSENTS, { token: cc, body: consentBody(init) }), debtor, 'payments');
    const order = (sent: JsonInput, risk: JsonInput) => h.signedPost(PAYMENTS, { token: psuToken, body: { Data: { ConsentId: consentId, Initiation: sent }, Risk: risk } });
    expectError(await order(initiation(on, '0.00', 'RENT-RISK'), RISK), 400, 'U002', 'Data.Initiation.InstructedAmount.Amount');
    for (const risk of [{}, { PaymentContextCode: 'EcommerceMerchantInitiatedPayment', MerchantCustomerIdentification: 'attacker' }, { ...RISK, MerchantCategoryCode: '5411' }]) {
      const refused = await order(init, risk);
      expectError(refused, 400, 'U008', 'Risk');
      expect(refused.body.Errors).toEqual([{ ErrorCode: 'U008', Message: 'The Risk differs from the consent’s', Path: 'Risk' }]);
    }
    const [{ count }] = await h.dataSource.query(`SELECT count(*)::int AS count FROM domestic_payment WHERE consent_id = $1`, [consentId]);
    expect(count).toBe(0);
    const [{ status }] = await h.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(status).toBe('AUTH');
    expect(await fixtures.available(debtor)).toBe('500.00000');
    expect((await order(init, RISK)).status).toBe(201);
  });

  it('lets the PSU cancel a pending scheduled payment, which then never runs; another PSU cannot', async () => {
    await fixtures.setBalance(debtor, '500.00');
    const on = new Date(Date.now() + DAY);
    const { order } = await placed(initiation(on, '30.00', 'RENT-CANC'));
    const paymentId = jsonString(order.body.Data.DomesticScheduledPaymentId);
    // Through the customer API (the dashboard's): bob cannot see it, alice cancels it.
    const cancel = async (username: string) =>
      h.call('DELETE', `/customer/scheduled-payments/${paymentId}`, { headers: { authorization: `Bearer ${await h.customerSession(username)}` } });
    const bobs = await cancel('bob');
    expect(bobs.status).toBe(404);
    expect(bobs.body).toEqual({ error: 'not_found', message: 'No such scheduled payment' });
    await expect(cancelScheduledPayment(h.dataSource, { paymentId, psuId: await h.psuId('bob') })).rejects.toBeInstanceOf(ConsentException);
    expect((await cancel('alice')).status).toBe(204);
    // Listed with its status on the PSU's payment consents.
    const listed = await h.call('GET', `/customer/payment-consents/${jsonString(order.body.Data.ConsentId)}/payments`, {
      headers: { authorization: `Bearer ${await h.customerSession('alice')}` },
    });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain('"CANC"');
    expect(await executeDueScheduledPayments(h.dataSource, h.bank(), on, { approvals: h.approvals() })).toEqual({ executed: 0, deferred: 0 });
    expect((await h.tpp('GET', `${PAYMENTS}/${paymentId}`, { token: cc })).body.Data.Status).toBe('CANC');
    // Its payment-details: a transfer that never happened, RJCT with the reason (the transfer statuses have
    // no CANC; until 7 December 2026 it answered CANC, outside OBWritePaymentDetailsResponse1).
    const details = await h.tpp('GET', `${PAYMENTS}/${paymentId}/payment-details`, { token: cc });
    expectPis('OBWritePaymentDetailsResponse1', details.body);
    expect(details.body.Data.PaymentStatus).toMatchObject([{ Status: 'RJCT', StatusDetail: { Status: 'RJCT', StatusReasonDescription: 'Cancelled by the PSU before it was sent to the bank' } }]);
    expect(await fixtures.available(debtor)).toBe('500.00000');
    // Cancelled is final.
    expect((await cancel('alice')).status).toBe(409);
    await expect(cancelScheduledPayment(h.dataSource, { paymentId, psuId: await h.psuId('alice') })).rejects.toMatchObject({ code: 'InvalidStatus' });
  });
});
