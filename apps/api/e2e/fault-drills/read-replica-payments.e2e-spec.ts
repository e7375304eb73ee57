import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { PrivatePostgres, startPrivatePostgres } from '@consentry/testing';

import { AISP, ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';
import { apiGauge, queryReplica } from './support/read-replica-probe.js';

const PISP = '/open-banking/v4.0/pisp';
const VRP_CONSENTS = `${PISP}/domestic-vrp-consents`;
const VRPS = `${PISP}/domestic-vrps`;
const PIS_CONSENTS = `${PISP}/domestic-payment-consents`;
const PAYMENTS = `${PISP}/domestic-payments`;
const CONFIRMATIONS = '/open-banking/v4.0/cbpii/funds-confirmations';
// Far above any test's length: a paused replica keeps serving AIS reads, so a funds or payment read that
// went there would see its stale balance.
const MAX_LAG_MS = 120_000;
const WAIT = { timeout: 20_000, interval: 100 };

/** An authorised consent and the PSU's token for it. */
interface Approved {
  consentId: string;
  psuToken: string;
}

/**
 * "Funds checks, balance checks and reading back a payment just made always use the primary database",
 * with a read replica configured (DATABASE_READ_URL): a real primary and a real streaming replica, as in
 * read-replica.e2e-spec.ts. The replica's WAL replay is paused, so it holds an old balance while staying
 * within READ_REPLICA_MAX_LAG_MS: each test first shows an AIS balance read still answered from it, then
 * that funds checks, payments and payment reads follow the primary.
 */
describe('read replica: funds checks and payments on the primary', () => {
  let primary: PrivatePostgres;
  let replica: PrivatePostgres;
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let aisToken: string;
  let debtor: PsuAccount;
  let payee: PsuAccount;

  const onReplica = (sql: string, params: unknown[] = []) => queryReplica(replica, h, sql, params);
  const replicaMetric = (name: string) => apiGauge(h, name);

  /** The debtor's InterimAvailable balance as the replica holds it (fixtures.available reads the primary). */
  async function replicaAvailable(): Promise<string> {
    const [row] = await onReplica(
      `SELECT (CASE credit_debit_indicator WHEN 'Credit' THEN amount ELSE -amount END)::text AS amount FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`,
      [debtor.accountId],
    );
    return jsonString(row?.amount);
  }

  /** The debtor's available balance (ITAV) as the TPP reads it on AIS: from the replica while it serves. */
  async function aisAvailable(): Promise<string> {
    const read = await h.tpp('GET', `${AISP}/accounts/${debtor.accountId}/balances`, { token: aisToken });
    expect(read.status).toBe(200);
    const interim = read.body.Data.Balance.find((balance) => String(balance.Type) === 'ITAV');
    return jsonString(interim?.Amount.Amount);
  }

  /** Sets the balance on the primary, waits for the replica to replay it, then pauses the replay: the replica keeps `amount`. */
  async function freezeReplicaAt(amount: string): Promise<void> {
    await fixtures.setBalance(debtor.accountId, amount);
    const onPrimary = await fixtures.available(debtor.accountId);
    await vi.waitFor(async () => expect(await replicaAvailable()).toBe(onPrimary), WAIT);
    await onReplica('SELECT pg_wal_replay_pause()');
  }

  /** The replica is stale (it still holds `amount`) and the router still sends AIS reads to it. */
  async function expectStaleReplicaServing(amount: string): Promise<void> {
    expect(await replicaAvailable()).toBe(Number(amount).toFixed(5));
    expect(await aisAvailable()).toBe(amount);
    expect(await replicaMetric('consentry_read_replica_serving')).toBe(1);
  }

  async function vrpFunds(consent: Approved, amount: string): Promise<string> {
    const funds = await h.signedPost(`${VRP_CONSENTS}/${consent.consentId}/funds-confirmation`, {
      idempotencyKey: false,
      token: consent.psuToken,
      body: { Data: { ConsentId: consent.consentId, Reference: 'replica', InstructedAmount: { Amount: amount, Currency: 'GBP' } } },
    });
    expect(funds.status).toBe(201);
    expectObSchema('OBVRPFundsConfirmationResponse', funds.body, 'vrp');
    return jsonString(funds.body.Data.FundsAvailableResult.FundsAvailable);
  }

  async function pisFunds(consent: Approved): Promise<boolean> {
    const funds = await h.tpp('GET', `${PIS_CONSENTS}/${consent.consentId}/funds-confirmation`, { token: consent.psuToken });
    expect(funds.status).toBe(200);
    expectObSchema('OBWriteFundsConfirmationResponse1', funds.body, 'payment-initiation');
    const available: unknown = funds.body.Data.FundsAvailableResult.FundsAvailable;
    if (typeof available !== 'boolean') throw new TypeError(`FundsAvailable is ${JSON.stringify(available)}`);
    return available;
  }

  async function cofFunds(consent: Approved, amount: string): Promise<boolean> {
    const body = { Data: { ConsentId: consent.consentId, Reference: 'replica', InstructedAmount: { Amount: amount, Currency: 'GBP' } } };
    const funds = await h.tpp('POST', CONFIRMATIONS, { token: consent.psuToken, body });
    expect(funds.status).toBe(201);
    expectObSchema('OBFundsConfirmationResponse1', funds.body, 'confirmation-funds');
    const available: unknown = funds.body.Data.FundsAvailable;
    if (typeof available !== 'boolean') throw new TypeError(`FundsAvailable is ${JSON.stringify(available)}`);
    return available;
  }

  function expectStatus(paid: CallResult, status: 'ACSP' | 'RJCT'): void {
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body.Data.Status).toBe(status);
    if (status === 'RJCT') expect(paid.body.Data).toMatchObject({ StatusReason: [{ StatusReasonCode: 'AM04' }] });
  }

  beforeAll(async () => {
    primary = await startPrivatePostgres();
    replica = await startPrivatePostgres({ replicaOf: primary });
    h = await ApiHarness.start('read_replica_payments', { READ_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS) }, {}, { databaseServerUrl: primary.url, readReplicaServerUrl: replica.url });
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    const [alice] = await fixtures.accountsOf('alice', 1, 'Alice');
    const [bob] = await fixtures.accountsOf('bob', 1, 'Bob Builder');
    debtor = alice!;
    payee = bob!;
    aisToken = await h.consentToken(await h.authorisedConsent(['ReadAccountsDetail', 'ReadBalances'], 'alice', [debtor.accountId]));
    await vi.waitFor(async () => expect(await replicaMetric('consentry_read_replica_serving')).toBe(1), WAIT);
  });

  beforeEach(async () => {
    await vi.waitFor(async () => expect(await replicaMetric('consentry_read_replica_serving')).toBe(1), WAIT);
  });

  afterEach(async () => {
    await onReplica('SELECT pg_wal_replay_resume()');
  });

  afterAll(async () => {
    await h?.stop();
    await replica?.destroy();
    await primary?.destroy();
  });

  it('answers the VRP, PIS and CoF funds checks from the primary’s balance, below and above what the stale replica holds', async () => {
    // A cap above every amount asked: beyond it the funds check answers U014, whatever the balance.
    const vrp = await fixtures.vrpConsent('alice', debtor, payee.account, { MaximumIndividualAmount: { Amount: '500.00', Currency: 'GBP' } });
    const pis80 = await fixtures.domesticPaymentConsent('alice', debtor, payee.account, '80.00', 'RR-FUNDS-80');
    const pis120 = await fixtures.domesticPaymentConsent('alice', debtor, payee.account, '120.00', 'RR-FUNDS-120');
    const cof = await fixtures.fundsConfirmationConsent('alice', debtor);
    await freezeReplicaAt('100.00');

    // A VRP debits the primary to 60.00; the replica has not replayed it and AIS still reads 100.00 there.
    expectStatus(await fixtures.vrp(vrp.psuToken, vrp.consentId, payee.account, '40.00', 'RR-DEBIT'), 'ACSP');
    expect(await fixtures.available(debtor.accountId)).toBe('60.00000');
    await expectStaleReplicaServing('100.00');
    expect(await vrpFunds(vrp, '60.00')).toBe('Available');
    expect(await vrpFunds(vrp, '60.01')).toBe('NotAvailable');
    expect(await cofFunds(cof, '60.00')).toBe(true);
    expect(await cofFunds(cof, '60.01')).toBe(false);
    expect(await pisFunds(pis80)).toBe(false);

    // The primary's balance rises above the replica's: the answers follow the primary up.
    await fixtures.setBalance(debtor.accountId, '150.00');
    await expectStaleReplicaServing('100.00');
    expect(await vrpFunds(vrp, '150.00')).toBe('Available');
    expect(await vrpFunds(vrp, '150.01')).toBe('NotAvailable');
    expect(await cofFunds(cof, '120.00')).toBe(true);
    expect(await pisFunds(pis120)).toBe(true);
    await expectStaleReplicaServing('100.00');
  });

  it('settles a payment by the primary’s funds: RJCT AM04 where only the replica would cover it, ACSP where only the primary does', async () => {
    const vrp = await fixtures.vrpConsent('alice', debtor, payee.account);
    const short = await fixtures.domesticPaymentConsent('alice', debtor, payee.account, '45.00', 'RR-SHORT');
    const covered = await fixtures.domesticPaymentConsent('alice', debtor, payee.account, '45.00', 'RR-COVERED');

    await freezeReplicaAt('100.00');
    await fixtures.setBalance(debtor.accountId, '30.00');
    await expectStaleReplicaServing('100.00');
    expectStatus(await short.pay(), 'RJCT');
    expectStatus(await fixtures.vrp(vrp.psuToken, vrp.consentId, payee.account, '45.00', 'RR-SHORT-VRP'), 'RJCT');
    expect(await fixtures.available(debtor.accountId)).toBe('30.00000');
    await expectStaleReplicaServing('100.00');

    await onReplica('SELECT pg_wal_replay_resume()');
    await freezeReplicaAt('20.00');
    await fixtures.setBalance(debtor.accountId, '100.00');
    await expectStaleReplicaServing('20.00');
    expectStatus(await covered.pay(), 'ACSP');
    expectStatus(await fixtures.vrp(vrp.psuToken, vrp.consentId, payee.account, '45.00', 'RR-COVERED-VRP'), 'ACSP');
    expect(await fixtures.available(debtor.accountId)).toBe('10.00000');
    await expectStaleReplicaServing('20.00');
  });

  it('reads back a VRP and a domestic payment just made, with their payment details, before the replica has replayed them', async () => {
    const vrp = await fixtures.vrpConsent('alice', debtor, payee.account);
    const pis = await fixtures.domesticPaymentConsent('alice', debtor, payee.account, '25.00', 'RR-READ');
    await freezeReplicaAt('100.00');

    const vrpPaid = await fixtures.vrp(vrp.psuToken, vrp.consentId, payee.account, '25.00', 'RR-READ-VRP');
    expectStatus(vrpPaid, 'ACSP');
    const vrpId = jsonString(vrpPaid.body.Data.DomesticVRPId);
    const pisPaid = await pis.pay();
    expectStatus(pisPaid, 'ACSP');
    const paymentId = jsonString(pisPaid.body.Data.DomesticPaymentId);
    // Neither payment nor its debit has reached the replica, which still serves AIS.
    expect(await onReplica(`SELECT payment_id FROM vrp_payment WHERE payment_id = $1`, [vrpId])).toEqual([]);
    expect(await onReplica(`SELECT payment_id FROM domestic_payment WHERE payment_id = $1`, [paymentId])).toEqual([]);
    await expectStaleReplicaServing('100.00');

    const vrpRead = await h.tpp('GET', `${VRPS}/${vrpId}`, { token: cc });
    expect(vrpRead.status).toBe(200);
    expectObSchema('OBDomesticVRPResponse', vrpRead.body, 'vrp');
    expect(vrpRead.body.Data).toMatchObject({ DomesticVRPId: vrpId, ConsentId: vrp.consentId, Status: 'ACSP' });
    const vrpDetails = await h.tpp('GET', `${VRPS}/${vrpId}/payment-details`, { token: cc });
    expect(vrpDetails.status).toBe(200);
    expectObSchema('OBDomesticVRPDetails', vrpDetails.body, 'vrp');
    expect(vrpDetails.body.Data.PaymentStatus[0]?.Status).toBe('ACSP');

    const pisRead = await h.tpp('GET', `${PAYMENTS}/${paymentId}`, { token: cc });
    expect(pisRead.status).toBe(200);
    expectObSchema('OBWriteDomesticResponse5', pisRead.body, 'payment-initiation');
    expect(pisRead.body.Data).toEqual(pisPaid.body.Data);
    const pisDetails = await h.tpp('GET', `${PAYMENTS}/${paymentId}/payment-details`, { token: cc });
    expect(pisDetails.status).toBe(200);
    expectObSchema('OBWritePaymentDetailsResponse1', pisDetails.body, 'payment-initiation');
    expect(pisDetails.body.Data.PaymentStatus).toEqual([expect.objectContaining({ PaymentTransactionId: paymentId, Status: 'ACSP' })]);
    await expectStaleReplicaServing('100.00');
  });
});
