import { cancelScheduledPayment, cancelStandingOrder, executeDueScheduledPayments, executeDueStandingOrderRuns } from '@consentry/consents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';

/**
 * The standing orders and scheduled payments a TPP sets up through payment initiation are the PSU's
 * commitments like those the bank holds: account information lists them beside the bank's (until
 * 7 December 2026 only the ledger's seeded records were listed), while they are still to be paid.
 */
describe('AIS standing-orders and scheduled-payments list those made through payment initiation', () => {
  let h: ApiHarness;
  let f: PaymentFixtures;
  let alice: PsuAccount;
  let bob: PsuAccount;

  beforeAll(async () => {
    // Pages of two, so that the initiated orders and the bank's share pages.
    h = await ApiHarness.start('initiated_orders_in_ais', { API_PAGE_SIZE: '2' });
    f = await PaymentFixtures.of(h);
    [alice] = await f.accountsOf('alice', 1, 'Alice Walker');
    [bob] = await f.accountsOf('bob', 1, 'Bob Okafor');
    await f.setBalance(alice!.accountId, '1000.00');
    // The bank's own records of Alice's account, with ids on either side of the initiated ones' (`dso-`, `dsp-`…).
    for (const id of ['a-ledger-1', 'm-ledger-2', 'zz-ledger-3']) {
      await h.dataSource.query(
        `INSERT INTO standing_order (standing_order_id, account_id, status_code, frequency, first_payment_date_time, next_payment_date_time, amount, currency, creditor_scheme_name, creditor_identification, creditor_name)
         VALUES ($1, $2, 'ACTV', 'EvryWorkgDay', '2048-01-01T00:00:00Z', '2049-01-01T00:00:00Z', 1, 'GBP', 'UK.OBIE.SortCodeAccountNumber', '40400499999999', 'Landlord')`,
        [id, alice!.accountId],
      );
      await h.dataSource.query(
        `INSERT INTO scheduled_payment (scheduled_payment_id, account_id, scheduled_payment_date_time, scheduled_type, amount, currency, creditor_scheme_name, creditor_identification, creditor_name)
         VALUES ($1, $2, '2049-01-01T00:00:00Z', 'Execution', 1, 'GBP', 'UK.OBIE.SortCodeAccountNumber', '40400499999999', 'Landlord')`,
        [id, alice!.accountId],
      );
    }
  });
  afterAll(async () => h?.stop());

  /** Every page of an AIS list, each validated against the OB schema, following Links.Next. */
  async function readAll(token: string, path: string, schema: string, dataKey: string): Promise<JsonBody[]> {
    const records: JsonBody[] = [];
    let next: string | null = path;
    for (let pages = 0; next && pages < 50; pages++) {
      const page = await h.tpp('GET', next, { token });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expectObSchema(schema, page.body);
      records.push(...(page.body.Data[dataKey] ?? []));
      next = page.body.Links.Next ? jsonString(page.body.Links.Next).slice(h.api.publicUrl.length) : null;
    }
    return records;
  }

  /** The same list read from Links.Last back through Links.Prev. */
  async function readAllBackwards(token: string, path: string, dataKey: string): Promise<JsonBody[]> {
    const first = await h.tpp('GET', path, { token });
    const records: JsonBody[] = [];
    let prev: string | null = first.body.Links.Last ? jsonString(first.body.Links.Last).slice(h.api.publicUrl.length) : path;
    for (let pages = 0; prev && pages < 50; pages++) {
      const page = await h.tpp('GET', prev, { token });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      records.unshift(...(page.body.Data[dataKey] ?? []));
      prev = page.body.Links.Prev ? jsonString(page.body.Links.Prev).slice(h.api.publicUrl.length) : null;
    }
    return records;
  }

  it('lists a pending standing order with its next run, and a scheduled payment until it runs; Basic without the payee', async () => {
    const { orderId } = await f.weeklyStandingOrder(alice, bob.account, '3.00', '2049-01-15T08:00:00+00:00', 3);
    const { paymentId } = await f.scheduledPayment(alice, bob.account, '4.00', '2049-02-01T08:00:00+00:00');

    const ledgerIds = async (table: 'standing_order' | 'scheduled_payment', id: string): Promise<string[]> =>
      ((await h.dataSource.query(`SELECT ${id} AS id FROM ${table} WHERE account_id = $1`, [alice.accountId])) as Array<{ id: string }>).map((row) => row.id);
    const detail = await h.consentToken(await h.authorisedConsent(['ReadStandingOrdersDetail', 'ReadScheduledPaymentsDetail'], 'alice', [alice.accountId]));
    const orders = await readAll(detail, `${AISP}/accounts/${alice.accountId}/standing-orders`, 'OBReadStandingOrder6', 'StandingOrder');
    // One list in the banks' order (ids as code units), pages of two across both sources, none twice.
    expect(orders.map((order) => jsonString(order.StandingOrderId))).toEqual([...(await ledgerIds('standing_order', 'standing_order_id')), orderId].sort());
    expect(orders.find((order) => jsonString(order.StandingOrderId) === orderId)).toEqual({
      AccountId: alice.accountId,
      StandingOrderId: orderId,
      NextPaymentDateTime: '2049-01-15T08:00:00.000Z',
      NumberOfPayments: '3',
      StandingOrderStatusCode: 'ACTV',
      FirstPaymentAmount: { Amount: '3.00', Currency: 'GBP' },
      NextPaymentAmount: { Amount: '3.00', Currency: 'GBP' },
      // Its third and last run's (an order ended by its count has a final payment too).
      FinalPaymentAmount: { Amount: '3.00', Currency: 'GBP' },
      CreditorAccount: { SchemeName: bob.account.SchemeName, Identification: bob.account.Identification, Name: bob.account.Name },
      // The day of that last run, as its count gives it (shown since 8 December 2026).
      MandateRelatedInformation: { FirstPaymentDateTime: '2049-01-15T08:00:00.000Z', FinalPaymentDateTime: '2049-01-29T08:00:00.000Z', Frequency: { Type: 'WEEK' } },
    });
    const backwards = await readAllBackwards(detail, `${AISP}/accounts/${alice.accountId}/standing-orders`, 'StandingOrder');
    expect(backwards.map((order) => jsonString(order.StandingOrderId))).toEqual(orders.map((order) => jsonString(order.StandingOrderId)));
    const scheduled = await readAll(detail, `${AISP}/accounts/${alice.accountId}/scheduled-payments`, 'OBReadScheduledPayment3', 'ScheduledPayment');
    expect(scheduled.map((payment) => jsonString(payment.ScheduledPaymentId))).toEqual([...(await ledgerIds('scheduled_payment', 'scheduled_payment_id')), paymentId].sort());
    expect(scheduled.find((payment) => jsonString(payment.ScheduledPaymentId) === paymentId)).toMatchObject({
      AccountId: alice.accountId,
      ScheduledPaymentDateTime: '2049-02-01T08:00:00.000Z',
      ScheduledType: 'Execution',
      InstructedAmount: { Amount: '4.00', Currency: 'GBP' },
      CreditorAccount: { Identification: bob.account.Identification },
    });

    // Basic: the same records, without the payee's account.
    const basic = await h.consentToken(await h.authorisedConsent(['ReadStandingOrdersBasic', 'ReadScheduledPaymentsBasic'], 'alice', [alice.accountId]));
    const basicOrder = (await readAll(basic, `${AISP}/accounts/${alice.accountId}/standing-orders`, 'OBReadStandingOrder6', 'StandingOrder')).find((order) => jsonString(order.StandingOrderId) === orderId);
    expect(basicOrder).toBeDefined();
    expect(JSON.stringify(basicOrder)).not.toContain(bob.account.Identification);
    const basicPayment = (await readAll(basic, `${AISP}/accounts/${alice.accountId}/scheduled-payments`, 'OBReadScheduledPayment3', 'ScheduledPayment')).find((payment) => jsonString(payment.ScheduledPaymentId) === paymentId);
    expect(basicPayment).toBeDefined();
    expect(JSON.stringify(basicPayment)).not.toContain(bob.account.Identification);

    // Bob's consent over his own account lists none of Alice's orders.
    const bobToken = await h.consentToken(await h.authorisedConsent(['ReadStandingOrdersDetail'], 'bob', [bob.accountId]));
    const bobs = await readAll(bobToken, `${AISP}/accounts/${bob.accountId}/standing-orders`, 'OBReadStandingOrder6', 'StandingOrder');
    expect(bobs.map((order) => jsonString(order.StandingOrderId))).not.toContain(orderId);

    // The first run: the order moves on to its next run and shows the last; the scheduled payment, paid, leaves the list.
    await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2049-01-15T08:00:00Z'), { approvals: h.approvals() });
    await executeDueScheduledPayments(h.dataSource, h.bank(), new Date('2049-02-01T08:00:00Z'), { approvals: h.approvals() });
    const afterRun = (await readAll(detail, `${AISP}/accounts/${alice.accountId}/standing-orders`, 'OBReadStandingOrder6', 'StandingOrder')).find((order) => jsonString(order.StandingOrderId) === orderId);
    expect(afterRun).toMatchObject({ NextPaymentDateTime: '2049-01-22T08:00:00.000Z', LastPaymentDateTime: '2049-01-15T08:00:00.000Z' });
    const scheduledAfter = await readAll(detail, `${AISP}/accounts/${alice.accountId}/scheduled-payments`, 'OBReadScheduledPayment3', 'ScheduledPayment');
    expect(scheduledAfter.map((payment) => jsonString(payment.ScheduledPaymentId))).not.toContain(paymentId);
  });

  it('shows each payment of an order with first, recurring and final amounts at its own amount', async () => {
    // Until 7 December 2026 every amount field showed the next run's amount (a probe's find).
    const { orderId } = await f.weeklyStandingOrder(alice, bob.account, '100.00', '2049-05-01T08:00:00+00:00', 3, { recurring: '20.00', final: '5.00' });
    const token = await h.consentToken(await h.authorisedConsent(['ReadStandingOrdersDetail'], 'alice', [alice.accountId]));
    const order = async (): Promise<JsonBody | undefined> =>
      (await readAll(token, `${AISP}/accounts/${alice.accountId}/standing-orders`, 'OBReadStandingOrder6', 'StandingOrder')).find((o) => jsonString(o.StandingOrderId) === orderId);
    const amounts = (o: JsonBody | undefined) => ({
      first: o?.FirstPaymentAmount?.Amount,
      next: o?.NextPaymentAmount?.Amount,
      last: o?.LastPaymentAmount?.Amount,
      final: o?.FinalPaymentAmount?.Amount,
    });
    // The final payment's amount from the start, though the order ends by its count, not by a date.
    expect(amounts(await order())).toEqual({ first: '100.00', next: '100.00', last: undefined, final: '5.00' });
    await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2049-05-01T08:00:00Z'), { approvals: h.approvals() });
    expect(amounts(await order())).toEqual({ first: '100.00', next: '20.00', last: '100.00', final: '5.00' });
    await executeDueStandingOrderRuns(h.dataSource, h.bank(), new Date('2049-05-08T08:00:00Z'), { approvals: h.approvals() });
    expect(amounts(await order())).toEqual({ first: '100.00', next: '5.00', last: '20.00', final: '5.00' });
  });

  it('gives as FinalPaymentDateTime the day the final payment is made, not the bound the order ends by', async () => {
    // Weekly from 1 June 2051, ending by 20 June: the runs are 1, 8 and 15 June. Until 8 December 2026 AIS
    // echoed the 20 June bound, a day no payment falls on (a probe's find).
    const { orderId } = await f.weeklyStandingOrder(alice, bob.account, '7.00', '2051-06-01T08:00:00+00:00', { finalAt: '2051-06-20T08:00:00+00:00' }, { final: '3.00' });
    const token = await h.consentToken(await h.authorisedConsent(['ReadStandingOrdersDetail'], 'alice', [alice.accountId]));
    const listed = (await readAll(token, `${AISP}/accounts/${alice.accountId}/standing-orders`, 'OBReadStandingOrder6', 'StandingOrder')).find((o) => jsonString(o.StandingOrderId) === orderId);
    expect(listed?.FinalPaymentAmount).toEqual({ Amount: '3.00', Currency: 'GBP' });
    expect(new Date(jsonString(listed?.MandateRelatedInformation?.FinalPaymentDateTime)).toISOString()).toBe('2051-06-15T08:00:00.000Z');
  });

  it('drops an order the PSU cancelled', async () => {
    const { orderId } = await f.weeklyStandingOrder(alice, bob.account, '5.00', '2049-03-01T08:00:00+00:00', 2);
    const { paymentId } = await f.scheduledPayment(alice, bob.account, '6.00', '2049-03-02T08:00:00+00:00', 'SCHED-CANCELLED');
    const psuId = await h.psuId('alice');
    await cancelStandingOrder(h.dataSource, { standingOrderId: orderId, psuId });
    await cancelScheduledPayment(h.dataSource, { paymentId, psuId });
    const token = await h.consentToken(await h.authorisedConsent(['ReadStandingOrdersBasic', 'ReadScheduledPaymentsBasic'], 'alice', [alice.accountId]));
    const orders = await readAll(token, `${AISP}/accounts/${alice.accountId}/standing-orders`, 'OBReadStandingOrder6', 'StandingOrder');
    expect(orders.map((order) => jsonString(order.StandingOrderId))).not.toContain(orderId);
    const scheduled = await readAll(token, `${AISP}/accounts/${alice.accountId}/scheduled-payments`, 'OBReadScheduledPayment3', 'ScheduledPayment');
    expect(scheduled.map((payment) => jsonString(payment.ScheduledPaymentId))).not.toContain(paymentId);
  });
});
