import { executeDueScheduledPayments, executeDueStandingOrderRuns, NOT_AS_APPROVED_REASON } from '@consentry/consents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, jsonString } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures } from '../support/payment-fixtures.js';

/**
 * Dynamic linking (PSD2 RTS Art. 5) when the worker pays: a scheduled payment or a standing-order run is
 * paid from its order row on its date, long after the POST checked it. An order whose row (amount, payee,
 * debtor account) or whose consent was altered since the PSU approved is RJCT AG01 and never debited; an
 * unaltered one is paid.
 */
const PISP = '/open-banking/v4.0/pisp';
const DAY = 86_400_000;
/** The Risk of every consent here, which its order repeats (UK OB: U008 otherwise). */
const RISK = { PaymentContextCode: 'TransferToThirdParty' };

function obDate(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

interface StatusRow {
  status: string;
  status_reason: string | null;
}

describe('an order the worker pays is still what its PSU approved', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let debtor: string;
  let bobAccount: string;
  let payee: ObAccount;

  beforeAll(async () => {
    h = await ApiHarness.start('approval_at_execution');
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    [{ accountId: debtor }] = await fixtures.accountsOf('alice');
    [{ accountId: bobAccount, account: payee }] = await fixtures.accountsOf('bob', 1, 'Bob Builder');
  });
  afterAll(async () => h?.stop());

  async function scheduled(on: Date, amount: string, reference: string): Promise<{ paymentId: string; consentId: string }> {
    const initiation = {
      InstructionIdentification: `I-${reference}`,
      EndToEndIdentification: reference,
      RequestedExecutionDateTime: obDate(on),
      InstructedAmount: { Amount: amount, Currency: 'GBP' },
      CreditorAccount: payee,
    };
    const created = await h.signedPost(`${PISP}/domestic-scheduled-payment-consents`, {
      token: cc,
      body: { Data: { Permission: 'Create', Initiation: initiation }, Risk: RISK },
    });
    const { consentId, psuToken } = await fixtures.approve(created, debtor, 'payments');
    const order = await h.signedPost(`${PISP}/domestic-scheduled-payments`, { token: psuToken, body: { Data: { ConsentId: consentId, Initiation: initiation }, Risk: RISK } });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    return { paymentId: jsonString(order.body.Data.DomesticScheduledPaymentId), consentId };
  }

  async function statusOf(paymentId: string): Promise<StatusRow> {
    const [row]: StatusRow[] = await h.dataSource.query(`SELECT status, status_reason FROM domestic_payment WHERE payment_id = $1`, [paymentId]);
    return row!;
  }

  async function statusEvents(paymentId: string): Promise<Array<{ to: string; reason: string | null }>> {
    return h.dataSource.query(
      `SELECT event->'data'->>'to' AS to, event->'data'->>'statusReason' AS reason FROM audit_outbox
        WHERE event->>'type' = 'payment.status-changed' AND event->'data'->>'paymentId' = $1 ORDER BY created_seq`,
      [paymentId],
    );
  }

  it('pays an unaltered scheduled payment, and rejects (AG01) one whose amount, payee or debtor account was altered, debiting nobody', async () => {
    await fixtures.setBalance(debtor, '5000.00');
    await fixtures.setBalance(bobAccount, '300.00');
    const on = new Date(Date.now() + 2 * DAY);
    const kept = await scheduled(on, '10.00', 'AS-APPROVED');
    const amount = await scheduled(on, '11.00', 'ALTERED-AMOUNT');
    const payeeSwapped = await scheduled(on, '12.00', 'ALTERED-PAYEE');
    const debtorSwapped = await scheduled(on, '13.00', 'ALTERED-DEBTOR');
    const consentAltered = await scheduled(on, '14.00', 'ALTERED-CONSENT');
    await h.dataSource.query(`UPDATE domestic_payment SET initiation = jsonb_set(initiation, '{InstructedAmount,Amount}', '"4000.00"') WHERE payment_id = $1`, [amount.paymentId]);
    await h.dataSource.query(`UPDATE domestic_payment SET initiation = jsonb_set(initiation, '{CreditorAccount,Identification}', '"99999912345678"') WHERE payment_id = $1`, [
      payeeSwapped.paymentId,
    ]);
    await h.dataSource.query(`UPDATE domestic_payment SET debtor_account_id = $2 WHERE payment_id = $1`, [debtorSwapped.paymentId, bobAccount]);
    // The consent and its order altered alike: the order still matches the consent, but not the approval's seal.
    await h.dataSource.query(`UPDATE payment_consent SET initiation = jsonb_set(initiation, '{InstructedAmount,Amount}', '"1400.00"') WHERE consent_id = $1`, [consentAltered.consentId]);
    await h.dataSource.query(`UPDATE domestic_payment SET initiation = jsonb_set(initiation, '{InstructedAmount,Amount}', '"1400.00"') WHERE payment_id = $1`, [consentAltered.paymentId]);

    expect(await executeDueScheduledPayments(h.dataSource, h.bank(), on, { approvals: h.approvals() })).toEqual({ executed: 5, deferred: 0 });

    expect(await statusOf(kept.paymentId)).toEqual({ status: 'ACSP', status_reason: null });
    for (const altered of [amount, payeeSwapped, debtorSwapped, consentAltered]) {
      expect(await statusOf(altered.paymentId)).toEqual({ status: 'RJCT', status_reason: NOT_AS_APPROVED_REASON });
      expect(await statusEvents(altered.paymentId)).toEqual([{ to: 'RJCT', reason: NOT_AS_APPROVED_REASON }]);
    }
    // Only the unaltered 10.00 left alice's account; bob, who approved nothing, keeps his 300.00.
    expect(await fixtures.available(debtor)).toBe('4990.00000');
    expect(await fixtures.available(bobAccount)).toBe('310.00000');
  });

  it('rejects (AG01) a standing-order run whose order was altered, debits nothing, and moves the order on', async () => {
    await fixtures.setBalance(debtor, '5000.00');
    const first = new Date(Date.now() + 2 * DAY);
    const initiation = {
      NumberOfPayments: '2',
      FirstPaymentAmount: { Amount: '5.00', Currency: 'GBP' },
      CreditorAccount: payee,
      MandateRelatedInformation: { Frequency: { Type: 'WEEK' }, FirstPaymentDateTime: obDate(first) },
    };
    const created = await h.signedPost(`${PISP}/domestic-standing-order-consents`, {
      token: cc,
      body: { Data: { Permission: 'Create', Initiation: initiation }, Risk: RISK },
    });
    const { consentId, psuToken } = await fixtures.approve(created, debtor, 'payments');
    const order = await h.signedPost(`${PISP}/domestic-standing-orders`, { token: psuToken, body: { Data: { ConsentId: consentId, Initiation: initiation }, Risk: RISK } });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    const orderId = jsonString(order.body.Data.DomesticStandingOrderId);
    await h.dataSource.query(`UPDATE domestic_standing_order SET initiation = jsonb_set(initiation, '{FirstPaymentAmount,Amount}', '"3000.00"') WHERE standing_order_id = $1`, [orderId]);

    expect(await executeDueStandingOrderRuns(h.dataSource, h.bank(), first, { approvals: h.approvals() })).toEqual({ executed: 1, deferred: 0 });

    const runs: Array<{ run_index: number; status: string; status_reason: string | null }> = await h.dataSource.query(
      `SELECT run_index, status, status_reason FROM standing_order_run WHERE standing_order_id = $1 ORDER BY run_index`,
      [orderId],
    );
    expect(runs).toEqual([{ run_index: 0, status: 'RJCT', status_reason: NOT_AS_APPROVED_REASON }]);
    expect(await fixtures.available(debtor)).toBe('5000.00000');
    const [next]: Array<{ next_run_index: number; status: string }> = await h.dataSource.query(`SELECT next_run_index, status FROM domestic_standing_order WHERE standing_order_id = $1`, [orderId]);
    expect(next).toEqual({ next_run_index: 1, status: 'PDNG' });
  });
});
