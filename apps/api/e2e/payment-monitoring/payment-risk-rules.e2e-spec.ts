import { readFileSync } from 'node:fs';

import { SANDBOX_RULES_FILE } from '@consentry/risk';
import { SANDBOX_DENY_LISTED_CREDITOR } from '@consentry/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { riskFiles } from '../support/risk-fixtures.js';

const PISP = '/open-banking/v4.0/pisp';
const HELD_REASON = [{ StatusReasonDescription: 'The payment is pending further processing' }];
const FRAUD_REASON = [{ StatusReasonCode: 'FR01', StatusReasonDescription: 'The payment was rejected' }];

function payee(identification: string, name: string): ObAccount {
  return { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: identification, Name: name };
}

describe('payment monitoring: the sandbox default rules, inline before execution', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let files: Awaited<ReturnType<typeof riskFiles>>;
  let alice: PsuAccount[];
  let carol: PsuAccount;
  const denyListed = payee(SANDBOX_DENY_LISTED_CREDITOR.Identification, 'Mule Ltd');

  beforeAll(async () => {
    // The sandbox default rules, exactly as shipped, with the sandbox's deny-list.
    files = await riskFiles(readFileSync(SANDBOX_RULES_FILE, 'utf8'), [SANDBOX_DENY_LISTED_CREDITOR]);
    h = await ApiHarness.start('payment_risk_rules', files.env);
    fixtures = await PaymentFixtures.of(h);
    alice = await fixtures.accountsOf('alice', 3);
    [carol] = await fixtures.accountsOf('carol', 1);
    for (const account of [...alice, carol!]) await fixtures.setBalance(account.accountId, '10000.00');
  });
  afterAll(async () => {
    await h?.stop();
    await files?.remove();
  });

  /** The TPP's read of a payment, with its client-credentials token. */
  async function tppGet(path: string): Promise<CallResult> {
    return h.tpp('GET', path, { token: await h.clientCredentialsToken({ scope: 'payments' }) });
  }

  async function assessments(paymentId: string): Promise<Array<Record<string, unknown>>> {
    const rows: Array<{ event: Record<string, unknown> }> = await h.dataSource.query(
      `SELECT event FROM audit_outbox WHERE event->>'type' = 'payment.risk-assessed' AND event->'data'->>'paymentId' = $1`,
      [paymentId],
    );
    return rows.map((row) => row.event);
  }

  it('rejects a payment to a deny-listed creditor: RJCT FR01, no debit, seen through the GET, audited with the rule', async () => {
    const before = await fixtures.available(alice[2]!.accountId);
    const { paid, consentId } = await fixtures.domesticPayment('alice', alice[2]!, denyListed, '10.00', 'DENY-1');
    expect(paid.status).toBe(201);
    expect(paid.body.Data.Status).toBe('RJCT');
    expect(paid.body.Data.StatusReason).toEqual(FRAUD_REASON);
    const paymentId = jsonString(paid.body.Data.DomesticPaymentId);
    const read = await tppGet(`${PISP}/domestic-payments/${paymentId}`);
    expect(read.status).toBe(200);
    expect(read.body.Data.Status).toBe('RJCT');
    expect(read.body.Data.StatusReason).toEqual(FRAUD_REASON);
    expect(await fixtures.available(alice[2]!.accountId)).toBe(before);
    const [event] = await assessments(paymentId);
    expect(event).toMatchObject({
      actor: { type: 'system', id: 'risk-engine' },
      clientId: h.clientId,
      consentId,
      psuId: await h.psuId('alice'),
      data: {
        paymentId,
        paymentKind: 'domestic-payment',
        decision: 'reject',
        score: 100,
        rules: [{ name: 'deny-listed-creditor', kind: 'deny-list', score: 100 }],
        amount: '10.00',
        currency: 'GBP',
      },
    });
  });

  it('never pays the deny-listed creditor written as a person writes a sort code (60-00-00-99999999)', async () => {
    // Until 7 December 2026 only spaces were removed before the match: this payment was ACSP, debited. The
    // deny-list still keys every written form as one account (deny-list-account-forms.spec in libs/risk),
    // and since that evening the API takes a sort code and account number only as its 14 digits.
    const before = await fixtures.available(alice[2]!.accountId);
    const dashed = { ...denyListed, Identification: SANDBOX_DENY_LISTED_CREDITOR.Identification.replace(/^(\d{2})(\d{2})(\d{2})/, '$1-$2-$3-') };
    expect(dashed.Identification).toBe('60-00-00-99999999');
    const initiation = { InstructionIdentification: 'INSTR-DENY-DASHED', EndToEndIdentification: 'DENY-DASHED', InstructedAmount: { Amount: '900.00', Currency: 'GBP' }, CreditorAccount: dashed };
    const refused = await h.signedPost(`${PISP}/domestic-payment-consents`, { token: await h.clientCredentialsToken({ scope: 'payments' }), body: { Data: { Initiation: initiation }, Risk: {} } });
    expect({ status: refused.status, error: refused.body.Errors[0] }).toMatchObject({ status: 400, error: { ErrorCode: 'U002', Path: 'Data.Initiation.CreditorAccount.Identification' } });
    expect(await fixtures.available(alice[2]!.accountId)).toBe(before);
  });

  it('holds 1000.00 to a payee the account never paid (PDNG, a reason naming no rule, no debit), allows 999.99, and holds 1000.00 to that payee until a day after it was first paid', async () => {
    const debtor = alice[0]!;
    const before = await fixtures.available(debtor.accountId);
    const held = await fixtures.domesticPayment('alice', debtor, payee('20000011111111', 'New Payee'), '1000.00', 'NEW-1');
    expect(held.paid.status).toBe(201);
    expect(held.paid.body.Data.Status).toBe('PDNG');
    expect(held.paid.body.Data.StatusReason).toEqual(HELD_REASON);
    const paymentId = jsonString(held.paid.body.Data.DomesticPaymentId);
    const read = await tppGet(`${PISP}/domestic-payments/${paymentId}`);
    expect(read.body.Data.Status).toBe('PDNG');
    expect(JSON.stringify(read.body)).not.toMatch(/new-payee|rule|risk/i);
    expect(await fixtures.available(debtor.accountId)).toBe(before);
    // Never sent to the bank, its answer is the one stored with the order and its decision: what a retry replays.
    const [stored] = await h.dataSource.query(`SELECT response_status, response_body FROM idempotency_key WHERE response_body LIKE $1`, [`%"${paymentId}"%`]);
    expect(stored.response_status).toBe(201);
    expect(JSON.parse(stored.response_body)).toEqual(held.paid.body);
    expect((await assessments(paymentId))[0]).toMatchObject({
      data: { decision: 'hold', score: 50, rules: [{ name: 'large-payment-to-new-payee', kind: 'new-payee', score: 50 }], amount: '1000.00' },
    });

    const under = await fixtures.domesticPayment('alice', debtor, payee('20000022222222', 'Other Payee'), '999.99', 'NEW-2');
    expect(under.paid.body.Data.Status).toBe('ACSP');
    expect(under.paid.body.Data.StatusReason).toBeUndefined();
    // Paid minutes ago, the payee is still new (knownAfterHours, 24 in the sandbox's rules): until 7 December
    // 2026 a first payment of any size, a penny, made it known, and 1000.00 to it went through at once.
    const sameDay = await fixtures.domesticPayment('alice', debtor, payee('20000022222222', 'Other Payee'), '1000.00', 'NEW-3');
    expect(sameDay.paid.body.Data.Status).toBe('PDNG');
    expect(sameDay.paid.body.Data.StatusReason).toEqual(HELD_REASON);
    // A day after the first payment to it, the payee is known: 1000.00 to it is allowed.
    const underId = jsonString(under.paid.body.Data.DomesticPaymentId);
    await h.dataSource.query(`UPDATE payment_risk_assessment SET assessed_at = now() - interval '24 hours 1 minute' WHERE payment_id = $1`, [underId]);
    const known = await fixtures.domesticPayment('alice', debtor, payee('20000022222222', 'Other Payee'), '1000.00', 'NEW-4');
    expect(known.paid.body.Data.Status).toBe('ACSP');
  });

  it('allows 5 payments from one account within 10 minutes and holds the sixth', async () => {
    const debtor = alice[1]!;
    const to = payee('30000033333333', 'Corner Shop');
    for (let n = 1; n <= 5; n += 1) {
      const { paid } = await fixtures.domesticPayment('alice', debtor, to, '1.00', `BURST-${n}`);
      expect(paid.body.Data.Status).toBe('ACSP');
    }
    const sixth = await fixtures.domesticPayment('alice', debtor, to, '1.00', 'BURST-6');
    expect(sixth.paid.body.Data.Status).toBe('PDNG');
    expect(sixth.paid.body.Data.StatusReason).toEqual(HELD_REASON);
    expect((await assessments(jsonString(sixth.paid.body.Data.DomesticPaymentId)))[0]).toMatchObject({
      data: { decision: 'hold', rules: [{ name: 'account-payment-burst', kind: 'velocity', score: 50 }] },
    });
  });

  it('scores a burst from one account sent at once under several consents, domestic payments and VRPs, in sequence: five paid, three held', async () => {
    const [debtor] = await fixtures.accountsOf('bob', 1);
    await fixtures.setBalance(debtor!.accountId, '10000.00');
    const to = payee('30000044444444', 'Market Stall');
    const payments: Array<() => Promise<CallResult>> = [];
    for (let n = 1; n <= 4; n += 1) {
      payments.push((await fixtures.domesticPaymentConsent('bob', debtor!, to, '1.00', `MIXED-DP-${n}`)).pay);
      const { consentId, psuToken } = await fixtures.vrpConsent('bob', debtor!, to);
      payments.push(() => fixtures.vrp(psuToken, consentId, to, '1.00', `MIXED-VRP-${n}`));
    }
    // Each consent's row lock alone would let them all read the same history: the account's risk lock,
    // taken with each consent's, puts them in sequence.
    const results = await Promise.all(payments.map((pay) => pay()));
    for (const result of results) expect(result.status, JSON.stringify(result.body)).toBe(201);
    const statuses = results.map((result) => jsonString(result.body.Data.Status));
    expect(statuses.filter((status) => status === 'ACSP')).toHaveLength(5);
    const held = results.filter((_, index) => statuses[index] === 'PDNG');
    expect(held).toHaveLength(3);
    for (const result of held) expect(result.body.Data.StatusReason).toEqual(HELD_REASON);
  });

  it('scores VRPs too: one to a deny-listed creditor is RJCT FR01, seen through the GET and replayed as it was', async () => {
    const { consentId, psuToken } = await fixtures.vrpConsent('carol', carol!, denyListed);
    const before = await fixtures.available(carol!.accountId);
    const paid = await fixtures.vrp(psuToken, consentId, denyListed, '5.00', 'VRP-DENY', 'vrp-deny-key');
    expect(paid.status).toBe(201);
    expect(paid.body.Data.Status).toBe('RJCT');
    expect(paid.body.Data.StatusReason).toEqual(FRAUD_REASON);
    const read = await tppGet(`${PISP}/domestic-vrps/${jsonString(paid.body.Data.DomesticVRPId)}`);
    expect(read.body.Data.Status).toBe('RJCT');
    expect(await fixtures.available(carol!.accountId)).toBe(before);
    // Never sent to the bank, its answer is the one stored with the VRP and its decision, in one statement:
    // the same request again gets it, and nothing new is made.
    const again = await fixtures.vrp(psuToken, consentId, denyListed, '5.00', 'VRP-DENY', 'vrp-deny-key');
    expect(again.status).toBe(201);
    expect(again.body).toEqual(paid.body);
    const [{ count }] = await h.dataSource.query(`SELECT count(*)::int AS count FROM vrp_payment WHERE consent_id = $1`, [consentId]);
    expect(count).toBe(1);
  });

  it('times every decision on /metrics, by decision: what the engine adds to the payment path', async () => {
    const count = async (decision: string): Promise<number> => {
      const metrics = await h.call('GET', '/metrics');
      const line = String(metrics.body ?? '').split('\n').find((l) => l.startsWith(`consentry_risk_decision_seconds_count{decision="${decision}"} `));
      return line === undefined ? 0 : Number(line.split(' ')[1]);
    };
    const [allowed, rejected] = [await count('allow'), await count('reject')];
    expect(allowed).toBeGreaterThan(0);
    const { paid } = await fixtures.domesticPayment('alice', alice[0]!, payee('40000044444444', 'Timed Payee'), '2.00', 'TIMED-1');
    expect(paid.body.Data.Status).toBe('ACSP');
    expect(await count('allow')).toBe(allowed + 1);
    expect(await count('reject')).toBe(rejected);
  });
});
