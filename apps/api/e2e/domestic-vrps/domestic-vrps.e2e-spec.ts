import { SandboxLedgerConnector } from '@consentry/banking';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { ObAccount, PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';

/** A request body the test builds (what it reads back is the harness's JsonBody). */
type JsonInput = { [member: string]: unknown };

const PISP = '/open-banking/v4.0/pisp';
const CONSENTS = `${PISP}/domestic-vrp-consents`;
const VRPS = `${PISP}/domestic-vrps`;
const OTHER = 'UK.OBIE.VRPType.Other';
const SWEEPING = 'UK.OBIE.VRPType.Sweeping';
/** A detached compact JWS (header..signature), as every VRP answer carries in x-jws-signature. */
const DETACHED_JWS = /^[\w-]+\.\.[\w-]+$/;

function expectVrp(name: string, body: unknown): void {
  expectObSchema(name, body, 'vrp');
}

type Account = ObAccount;
/** A creditor as a VRP's Instruction may name it: an account, with a roll number or not. */
type Creditor = Account & { SecondaryIdentification?: string };

describe('domestic VRP', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let debtor: string;
  let ownOther: PsuAccount;
  let payee: Account;

  beforeAll(async () => {
    h = await ApiHarness.start('domestic_vrps');
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    const alice = await fixtures.accountsOf('alice', 2, 'Alice Savings');
    debtor = alice[0]!.accountId;
    ownOther = alice[1]!;
    [{ account: payee }] = await fixtures.accountsOf('bob', 1, 'Bob Builder');
  });
  afterAll(async () => h?.stop());

  const setBalance = (accountId: string, amount: string) => fixtures.setBalance(accountId, amount);
  const available = (accountId: string) => fixtures.available(accountId);

  function controlParameters(overrides: JsonInput = {}): JsonInput {
    return {
      VRPType: [OTHER],
      PSUAuthenticationMethods: ['UK.OBIE.SCA'],
      MaximumIndividualAmount: { Amount: '50.00', Currency: 'GBP' },
      PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP' }],
      ...overrides,
    };
  }

  function consentBody(params: JsonInput = controlParameters(), initiation: JsonInput = { CreditorAccount: payee }): JsonInput {
    return { Data: { ControlParameters: params, Initiation: initiation }, Risk: { PaymentContextCode: 'BillingGoodsAndServicesInArrears' } };
  }

  async function createConsent(body: JsonInput = consentBody()): Promise<CallResult> {
    expectVrp('OBDomesticVRPConsentRequest', body);
    return h.signedPost(CONSENTS, { token: cc, body });
  }

  /** A VRP consent created through the API and approved for alice's first GBP account, as the approval page does. */
  async function authorisedConsent(body: JsonInput = consentBody()): Promise<{ consentId: string; psuToken: string; initiation: JsonInput }> {
    const approved = await fixtures.approve(await createConsent(body), debtor, 'payments');
    return { ...approved, initiation: (body.Data as { Initiation: JsonInput }).Initiation };
  }

  function vrpBody(consentId: string, initiation: JsonInput, amount: string, options: { vrpType?: string; creditor?: Creditor; reference?: string } = {}): JsonInput {
    const reference = options.reference ?? `VRP-${amount}`;
    return {
      Data: {
        ConsentId: consentId,
        PSUAuthenticationMethod: 'UK.OBIE.SCANotRequired',
        PSUInteractionType: 'OffSession',
        VRPType: options.vrpType ?? OTHER,
        Initiation: initiation,
        Instruction: {
          InstructionIdentification: `I-${reference}`,
          EndToEndIdentification: reference,
          InstructedAmount: { Amount: amount, Currency: 'GBP' },
          CreditorAccount: options.creditor ?? payee,
          RemittanceInformation: { Unstructured: ['Gym membership'] },
        },
      },
      Risk: {},
    };
  }

  function pay(psuToken: string, consentId: string, initiation: JsonInput, amount: string, options: { vrpType?: string; creditor?: Creditor; reference?: string } = {}): Promise<CallResult> {
    const body = vrpBody(consentId, initiation, amount, options);
    expectVrp('OBDomesticVRPRequest', body);
    return h.signedPost(VRPS, { token: psuToken, body });
  }

  /** The VRP consent's funds check (signed, no idempotency key), as the TPP sends it under the PSU's token. */
  function confirmFunds(psuToken: string, consentId: string, amount = '10.00'): Promise<CallResult> {
    const body = { Data: { ConsentId: consentId, InstructedAmount: { Amount: amount, Currency: 'GBP' } } };
    expectVrp('OBVRPFundsConfirmationRequest', body);
    return h.signedPost(`${CONSENTS}/${consentId}/funds-confirmation`, { idempotencyKey: false, token: psuToken, body });
  }

  function expectError(result: CallResult, status: number, code: string, path?: string): void {
    expect(result.status, JSON.stringify(result.body)).toBe(status);
    expectVrp('OBErrorResponse1', result.body);
    expect(result.body.Errors[0]).toMatchObject({ ErrorCode: code, ...(path ? { Path: path } : {}) });
  }

  /** The consent's audit events so far, in order: a funds check, answered or refused, adds none. */
  async function auditEventsOf(consentId: string): Promise<string[]> {
    const rows: Array<{ type: string }> = await h.dataSource.query(`SELECT event->>'type' AS type FROM audit_outbox WHERE event->>'consentId' = $1 ORDER BY created_seq`, [consentId]);
    return rows.map((row) => row.type);
  }

  async function countVrps(consentId: string): Promise<number> {
    const [{ n }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM vrp_payment WHERE consent_id = $1`, [consentId]);
    return n as number;
  }

  it('creates a VRP consent awaiting authorisation, reads it back and answers 405 to PUT and PATCH', async () => {
    const created = await createConsent();
    expect(created.status).toBe(201);
    expectVrp('OBDomesticVRPConsentResponse', created.body);
    expect(created.body.Data).toMatchObject({ Status: 'AWAU', ControlParameters: controlParameters(), Initiation: { CreditorAccount: payee } });
    const id = jsonString(created.body.Data.ConsentId);
    const read = await h.tpp('GET', `${CONSENTS}/${id}`, { token: cc });
    expect(read.status).toBe(200);
    expectVrp('OBDomesticVRPConsentResponse', read.body);
    expect(read.body.Data).toEqual(created.body.Data);
    for (const method of ['PUT', 'PATCH']) {
      const refused = await h.tpp(method, `${CONSENTS}/${id}`, { token: cc, body: consentBody() });
      expect(refused.status).toBe(405);
      expect(refused.headers.get('allow')?.split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD']);
      expect((await h.tpp(method, `${VRPS}/vrp-00000000-0000-4000-8000-000000000000`, { token: cc, body: {} })).status).toBe(405);
    }
    expectError(await h.tpp('GET', `${CONSENTS}/pmc-00000000-0000-4000-8000-000000000000`, { token: cc }), 404, 'U011');
  });

  it('refuses ControlParameters that cannot work with the exact code and Path, and writes nothing', async () => {
    const [{ n: before }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_consent`);
    const fortnight = controlParameters({ PeriodicLimits: [{ PeriodType: 'Fortnight', PeriodAlignment: 'Calendar', Amount: '10', Currency: 'GBP' }] });
    expectError(await createConsent(consentBody(fortnight)), 400, 'U002', 'Data.ControlParameters.PeriodicLimits[0].PeriodAlignment');
    expectError(await createConsent(consentBody(controlParameters({ ValidToDateTime: '2020-01-01T00:00:00+00:00' }))), 400, 'U003', 'Data.ControlParameters.ValidToDateTime');
    const badType = await h.signedPost(CONSENTS, { token: cc, body: consentBody(controlParameters({ VRPType: ['UK.OBIE.VRPType.Pocket'] })) });
    expect(badType.status).toBe(400);
    // Both names are required (OBCashAccountCreditor3, OBCashAccountDebtorWithName): until 7 December 2026 either could be left out.
    const { Name: _name, ...nameless } = payee;
    expectError(await h.signedPost(CONSENTS, { token: cc, body: consentBody(controlParameters(), { CreditorAccount: nameless }) }), 400, 'U004', 'Data.Initiation.CreditorAccount.Name');
    expectError(
      await h.signedPost(CONSENTS, { token: cc, body: consentBody(controlParameters(), { DebtorAccount: { SchemeName: ownOther.account.SchemeName, Identification: ownOther.account.Identification }, CreditorAccount: payee }) }),
      400,
      'U004',
      'Data.Initiation.DebtorAccount.Name',
    );
    const [{ n: after }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM payment_consent`);
    expect(after).toBe(before);
  });

  it('runs several VRPs under one consent, each debited, readable with client credentials, and audited', async () => {
    await setBalance(debtor, '1000.00');
    const { consentId, psuToken, initiation } = await authorisedConsent();

    const funds = await h.signedPost(`${CONSENTS}/${consentId}/funds-confirmation`, {
      idempotencyKey: false,
      token: psuToken,
      body: { Data: { ConsentId: consentId, Reference: 'gym', InstructedAmount: { Amount: '40.00', Currency: 'GBP' } } },
    });
    expect(funds.status).toBe(201);
    expectVrp('OBVRPFundsConfirmationResponse', funds.body);
    expect(funds.body.Data.FundsAvailableResult.FundsAvailable).toBe('Available');
    // Never the balance (1000.00): ids and timestamps may hold the digits 1000, so match the figure.
    expect(JSON.stringify(funds.body)).not.toMatch(/1000\.0|Balance/);
    // An amount no VRP under the consent could pay (above its MaximumIndividualAmount of 50.00, or in
    // another currency) gets the VRP's 400 U014, not an answer: halving it would find the balance.
    for (const [amount, currency, path] of [
      ['50.01', 'GBP', 'Data.InstructedAmount.Amount'],
      ['5000.00', 'GBP', 'Data.InstructedAmount.Amount'],
      ['10.00', 'EUR', 'Data.InstructedAmount.Currency'],
    ] as const) {
      const beyond = await h.signedPost(`${CONSENTS}/${consentId}/funds-confirmation`, {
        idempotencyKey: false,
        token: psuToken,
        body: { Data: { ConsentId: consentId, InstructedAmount: { Amount: amount, Currency: currency } } },
      });
      expectError(beyond, 400, 'U014', path);
    }
    // Within the cap the answer follows the balance.
    await setBalance(debtor, '30.00');
    expect((await confirmFunds(psuToken, consentId, '30.01')).body.Data.FundsAvailableResult.FundsAvailable).toBe('NotAvailable');
    expect((await confirmFunds(psuToken, consentId, '30.00')).body.Data.FundsAvailableResult.FundsAvailable).toBe('Available');
    await setBalance(debtor, '1000.00');
    // The funds check is signed but takes no key: unsigned is U019, and no key is not U007.
    const unsigned = await h.tpp('POST', `${CONSENTS}/${consentId}/funds-confirmation`, {
      token: psuToken,
      body: { Data: { ConsentId: consentId, InstructedAmount: { Amount: '1.00', Currency: 'GBP' } } },
    });
    expectError(unsigned, 400, 'U019');
    // A VRP itself needs both: the key first (U007), then the signature (U019).
    const order = vrpBody(consentId, initiation, '1.00');
    expectError(await h.tpp('POST', VRPS, { token: psuToken, body: order }), 400, 'U007');
    expectError(await h.tpp('POST', VRPS, { token: psuToken, body: order, headers: { 'x-idempotency-key': 'vrp-unsigned-1' } }), 400, 'U019');

    const ids: string[] = [];
    for (const amount of ['40.00', '35.50', '12.25']) {
      const paid = await pay(psuToken, consentId, initiation, amount);
      expect(paid.status).toBe(201);
      expectVrp('OBDomesticVRPResponse', paid.body);
      expect(paid.body.Data).toMatchObject({ ConsentId: consentId, Status: 'ACSP', Instruction: { InstructedAmount: { Amount: amount, Currency: 'GBP' } } });
      ids.push(jsonString(paid.body.Data.DomesticVRPId));
    }
    expect(await available(debtor)).toBe('912.25000');

    const read = await h.tpp('GET', `${VRPS}/${ids[1]}`, { token: cc });
    expect(read.status).toBe(200);
    expectVrp('OBDomesticVRPResponse', read.body);
    expect(read.body.Data.DomesticVRPId).toBe(ids[1]);
    const details = await h.tpp('GET', `${VRPS}/${ids[1]}/payment-details`, { token: cc });
    expect(details.status).toBe(200);
    expectVrp('OBDomesticVRPDetails', details.body);
    expect(details.body.Data.PaymentStatus[0].Status).toBe('ACSP');
    // The consent stays AUTH for the next payment, and names the debtor the PSU picked.
    const consent = await h.tpp('GET', `${CONSENTS}/${consentId}`, { token: cc });
    expectVrp('OBDomesticVRPConsentResponse', consent.body);
    expect(consent.body.Data.Status).toBe('AUTH');
    expect(consent.body.Data.DebtorAccount.SchemeName).toBe('UK.OBIE.SortCodeAccountNumber');
    // The PSU token cannot read the VRP (client credentials only).
    expectError(await h.tpp('GET', `${VRPS}/${ids[0]}`, { token: psuToken }), 403, 'U042');

    const events: Array<{ type: string }> = await h.dataSource.query(`SELECT event->>'type' AS type FROM audit_outbox WHERE event->>'consentId' = $1`, [consentId]);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'payment.submitted')).toHaveLength(3);
    expect(types.filter((t) => t === 'payment.status-changed')).toHaveLength(3);
    expect(types).toEqual(expect.arrayContaining(['consent.created', 'consent.authorised']));
  });

  it('refuses a VRP above MaximumIndividualAmount with 400 U014, audits it and writes no payment', async () => {
    await setBalance(debtor, '1000.00');
    const { consentId, psuToken, initiation } = await authorisedConsent();
    expectError(await pay(psuToken, consentId, initiation, '50.01'), 400, 'U014', 'Data.Instruction.InstructedAmount.Amount');
    expect(await countVrps(consentId)).toBe(0);
    const [event] = await h.dataSource.query(
      `SELECT event->'data' AS data FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'payment.refused-by-control-parameter'`,
      [consentId],
    );
    expect(event.data).toMatchObject({ parameter: 'MaximumIndividualAmount', amount: '50.01', currency: 'GBP' });
    expect((await pay(psuToken, consentId, initiation, '50.00')).status).toBe(201);

    // Under an idempotency key: the refusal is audited but keeps no key, so the same request is checked
    // afresh (and audited again) rather than replayed.
    const keyed = vrpBody(consentId, initiation, '50.02');
    for (let attempt = 0; attempt < 2; attempt++) {
      expectError(await h.signedPost(VRPS, { token: psuToken, body: keyed, idempotencyKey: 'vrp-refused-1' }), 400, 'U014');
    }
    expect(await h.dataSource.query(`SELECT 1 FROM idempotency_key WHERE key = 'vrp-refused-1'`)).toEqual([]);
    const [{ n }] = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'payment.refused-by-control-parameter'`,
      [consentId],
    );
    expect(n).toBe(3);
  });

  it('refuses a VRP that would take the period past its PeriodicLimit with 400 U014', async () => {
    await setBalance(debtor, '1000.00');
    const params = controlParameters({ PeriodicLimits: [{ PeriodType: 'Day', PeriodAlignment: 'Consent', Amount: '60.00', Currency: 'GBP' }] });
    const { consentId, psuToken, initiation } = await authorisedConsent(consentBody(params));
    expect((await pay(psuToken, consentId, initiation, '45.00')).status).toBe(201);
    expectError(await pay(psuToken, consentId, initiation, '15.01'), 400, 'U014', 'Data.Instruction.InstructedAmount.Amount');
    expect((await pay(psuToken, consentId, initiation, '15.00')).status).toBe(201);
    expectError(await pay(psuToken, consentId, initiation, '0.01'), 400, 'U014');
    expect(await countVrps(consentId)).toBe(2);
  });

  it('counts a VRP the bank rejected (AM04) against no limit', async () => {
    await setBalance(debtor, '10.00');
    const params = controlParameters({ PeriodicLimits: [{ PeriodType: 'Week', PeriodAlignment: 'Calendar', Amount: '30.00', Currency: 'GBP' }] });
    const { consentId, psuToken, initiation } = await authorisedConsent(consentBody(params));
    const poor = await pay(psuToken, consentId, initiation, '25.00');
    expect(poor.status).toBe(201);
    expect(poor.body.Data).toMatchObject({ Status: 'RJCT', StatusReason: [{ StatusReasonCode: 'AM04' }] });
    // Its payment-details say why, by the same rule as every payment's (paymentDetailsOf).
    const details = await h.tpp('GET', `${VRPS}/${jsonString(poor.body.Data.DomesticVRPId)}/payment-details`, { token: cc });
    expectVrp('OBDomesticVRPDetails', details.body);
    expect(details.body.Data.PaymentStatus[0]).toMatchObject({ Status: 'RJCT', StatusDetail: { Status: 'RJCT', StatusReason: 'AM04' } });
    // The rejection names the PSU, whose "payment was not made" alert follows it.
    const [change] = await h.dataSource.query(
      `SELECT o.event->>'psuId' AS psu_id, c.psu_id::text AS consent_psu FROM audit_outbox o JOIN payment_consent c ON c.consent_id = o.event->>'consentId'
        WHERE o.event->>'type' = 'payment.status-changed' AND o.event->'data'->>'paymentId' = $1`,
      [poor.body.Data.DomesticVRPId],
    );
    expect(change).toEqual({ psu_id: expect.any(String), consent_psu: change.psu_id });
    await setBalance(debtor, '100.00');
    expect((await pay(psuToken, consentId, initiation, '25.00')).body.Data.Status).toBe('ACSP');
  });

  it('refuses VRPs outside the validity window with 400 U014', async () => {
    await setBalance(debtor, '1000.00');
    const later = await authorisedConsent(consentBody(controlParameters({ ValidFromDateTime: new Date(Date.now() + 86_400_000).toISOString() })));
    expectError(await pay(later.psuToken, later.consentId, later.initiation, '10.00'), 400, 'U014', 'Data.ConsentId');

    const validTo = new Date(Date.now() + 1500);
    const ending = await authorisedConsent(consentBody(controlParameters({ ValidToDateTime: validTo.toISOString() })));
    expect((await pay(ending.psuToken, ending.consentId, ending.initiation, '10.00')).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, validTo.getTime() - Date.now() + 50)));
    expectError(await pay(ending.psuToken, ending.consentId, ending.initiation, '10.00'), 400, 'U014', 'Data.ConsentId');
    expect(await countVrps(ending.consentId)).toBe(1);
  });

  it('refuses the funds check of a consent not valid yet (ValidFromDateTime) with 400 U014, as its VRP, signed, and writes nothing', async () => {
    await setBalance(debtor, '1000.00');
    const later = await authorisedConsent(consentBody(controlParameters({ ValidFromDateTime: new Date(Date.now() + 86_400_000).toISOString() })));
    const events = await auditEventsOf(later.consentId);
    const refused = await confirmFunds(later.psuToken, later.consentId);
    expectError(refused, 400, 'U014', 'Data.ConsentId');
    expect(refused.body.Errors).toEqual([{ ErrorCode: 'U014', Message: 'The consent is not valid yet (ValidFromDateTime)', Path: 'Data.ConsentId' }]);
    expect(refused.headers.get('x-jws-signature')).toMatch(DETACHED_JWS);
    expect(await auditEventsOf(later.consentId)).toEqual(events);
    // The VRP it asks about is refused alike.
    expect((await pay(later.psuToken, later.consentId, later.initiation, '10.00')).body.Errors).toEqual(refused.body.Errors);
  });

  it('answers the funds check inside the validity window, and refuses it with 400 U014 once ValidToDateTime has passed while the consent is still AUTH', async () => {
    await setBalance(debtor, '1000.00');
    // Long enough for the approval and the first check on a loaded 2-core machine.
    const validTo = new Date(Date.now() + 5000);
    const params = controlParameters({ ValidFromDateTime: new Date(Date.now() - 3_600_000).toISOString(), ValidToDateTime: validTo.toISOString() });
    const ending = await authorisedConsent(consentBody(params));
    const inside = await confirmFunds(ending.psuToken, ending.consentId);
    expect(inside.status, JSON.stringify(inside.body)).toBe(201);
    expectVrp('OBVRPFundsConfirmationResponse', inside.body);
    expect(inside.body.Data.FundsAvailableResult.FundsAvailable).toBe('Available');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, validTo.getTime() - Date.now() + 50)));
    // The expiry sweep has not run: only the window says the consent has ended.
    const [{ status }] = await h.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [ending.consentId]);
    expect(status).toBe('AUTH');
    const events = await auditEventsOf(ending.consentId);
    const refused = await confirmFunds(ending.psuToken, ending.consentId);
    expectError(refused, 400, 'U014', 'Data.ConsentId');
    expect(refused.body.Errors).toEqual([{ ErrorCode: 'U014', Message: 'The consent is no longer valid (ValidToDateTime)', Path: 'Data.ConsentId' }]);
    expect(refused.headers.get('x-jws-signature')).toMatch(DETACHED_JWS);
    expect(await auditEventsOf(ending.consentId)).toEqual(events);
  });

  it('refuses a VRPType the consent does not allow with 400 U014, and sweeps only to the PSU’s own accounts', async () => {
    await setBalance(debtor, '1000.00');
    await setBalance(ownOther.accountId, '0.00');
    const other = await authorisedConsent();
    expectError(await pay(other.psuToken, other.consentId, other.initiation, '10.00', { vrpType: SWEEPING }), 400, 'U014', 'Data.VRPType');

    const sweeping = await authorisedConsent(consentBody(controlParameters({ VRPType: [SWEEPING] }), {}));
    const swept = await pay(sweeping.psuToken, sweeping.consentId, sweeping.initiation, '30.00', { vrpType: SWEEPING, creditor: ownOther.account });
    expect(swept.status).toBe(201);
    expect(swept.body.Data.Status).toBe('ACSP');
    expect(await available(ownOther.accountId)).toBe('30.00000');
    expectError(await pay(sweeping.psuToken, sweeping.consentId, sweeping.initiation, '30.00', { vrpType: SWEEPING }), 400, 'U014', 'Data.Instruction.CreditorAccount');
  });

  it('refuses the funds check of a consent whose debtor account was changed after approval with 400 U008', async () => {
    const { consentId, psuToken } = await authorisedConsent();
    const [approvedDebtor] = await h.dataSource.query(`SELECT debtor_account_id FROM payment_consent WHERE consent_id = $1`, [consentId]);
    const [bob] = await fixtures.accountsOf('bob');
    const ask = () =>
      h.signedPost(`${CONSENTS}/${consentId}/funds-confirmation`, {
        idempotencyKey: false,
        token: psuToken,
        body: { Data: { ConsentId: consentId, InstructedAmount: { Amount: '1.00', Currency: 'GBP' } } },
      });
    await h.dataSource.query(`UPDATE payment_consent SET debtor_account_id = $2 WHERE consent_id = $1`, [consentId, bob!.accountId]);
    expectError(await ask(), 400, 'U008', 'Data.ConsentId');
    await h.dataSource.query(`UPDATE payment_consent SET debtor_account_id = $2 WHERE consent_id = $1`, [consentId, approvedDebtor.debtor_account_id]);
    expect((await ask()).status).toBe(201);
  });

  it('refuses a funds check of nothing (0, 0.00) with 400 U002 on the amount, as a VRP and CoF’s funds check do', async () => {
    await setBalance(debtor, '1000.00');
    const { consentId, psuToken } = await authorisedConsent();
    for (const amount of ['0', '0.00', '0.00000']) {
      const result = await h.signedPost(`${CONSENTS}/${consentId}/funds-confirmation`, {
        idempotencyKey: false,
        token: psuToken,
        body: { Data: { ConsentId: consentId, InstructedAmount: { Amount: amount, Currency: 'GBP' } } },
      });
      expectError(result, 400, 'U002', 'Data.InstructedAmount.Amount');
      expect(result.body.Errors).toEqual([{ ErrorCode: 'U002', Message: 'InstructedAmount.Amount must be more than zero', Path: 'Data.InstructedAmount.Amount' }]);
    }
  });

  it('refuses a VRP whose Initiation or creditor is not the consent’s, or whose consent changed after approval, with 400 U008', async () => {
    await setBalance(debtor, '1000.00');
    const { consentId, psuToken, initiation } = await authorisedConsent();
    expectError(await pay(psuToken, consentId, { CreditorAccount: { ...payee, Name: 'Mallory' } }, '10.00'), 400, 'U008', 'Data.Initiation');
    expectError(await pay(psuToken, consentId, initiation, '10.00', { creditor: ownOther.account }), 400, 'U008', 'Data.Instruction.CreditorAccount');
    await h.dataSource.query(
      `UPDATE payment_consent SET control_parameters = jsonb_set(control_parameters, '{MaximumIndividualAmount,Amount}', '"5000.00"') WHERE consent_id = $1`,
      [consentId],
    );
    expectError(await pay(psuToken, consentId, initiation, '10.00'), 400, 'U008', 'Data.ConsentId');
    expect(await countVrps(consentId)).toBe(0);
    // Where its Consent-aligned periods start is part of the approval: moved, a new period would open early.
    const moved = await authorisedConsent();
    await h.dataSource.query(`UPDATE payment_consent SET creation_date_time = creation_date_time - interval '1 day' WHERE consent_id = $1`, [moved.consentId]);
    expectError(await pay(moved.psuToken, moved.consentId, moved.initiation, '10.00'), 400, 'U008', 'Data.ConsentId');
    expect(await countVrps(moved.consentId)).toBe(0);
  });

  it('refuses a VRP to the consent’s sort code and number under another name or roll number with 400 U008 on the Instruction’s creditor, and pays nothing', async () => {
    await setBalance(debtor, '1000.00');
    const { consentId, psuToken, initiation } = await authorisedConsent();
    const events = await auditEventsOf(consentId);
    const booked = () => h.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE account_id = $1`, [debtor]);
    const bookedBefore = await booked();
    const mallory: Creditor = { ...payee, Name: 'Mallory Ltd', SecondaryIdentification: 'ROLL-999' };
    for (const creditor of [mallory, { ...payee, Name: 'Mallory Ltd' }, { ...payee, SecondaryIdentification: 'ROLL-999' }, { ...payee, Name: payee.Name.toUpperCase() }]) {
      const refused = await pay(psuToken, consentId, initiation, '10.00', { creditor });
      expectError(refused, 400, 'U008', 'Data.Instruction.CreditorAccount');
      expect(refused.body.Errors).toEqual([{ ErrorCode: 'U008', Message: 'The creditor is not the consent’s', Path: 'Data.Instruction.CreditorAccount' }]);
    }
    // Nothing written: no VRP, no event, no debit, nothing booked, and the consent still AUTH.
    expect(await countVrps(consentId)).toBe(0);
    expect(await auditEventsOf(consentId)).toEqual(events);
    expect(await available(debtor)).toBe('1000.00000');
    expect(await booked()).toEqual(bookedBefore);
    const [{ status }] = await h.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(status).toBe('AUTH');
    // The payee the PSU approved, its members in another order, still pays.
    const reordered = { Name: payee.Name, Identification: payee.Identification, SchemeName: payee.SchemeName };
    const paid = await pay(psuToken, consentId, initiation, '10.00', { creditor: reordered });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body.Data.Instruction.CreditorAccount).toEqual(payee);
  });

  it('holds a VRP to the roll number its consent names: one without it, or with another, is 400 U008', async () => {
    await setBalance(debtor, '1000.00');
    const society: Creditor = { ...payee, SecondaryIdentification: 'ROLL-1' };
    const { consentId, psuToken, initiation } = await authorisedConsent(consentBody(controlParameters(), { CreditorAccount: society }));
    expectError(await pay(psuToken, consentId, initiation, '10.00', { creditor: payee }), 400, 'U008', 'Data.Instruction.CreditorAccount');
    expectError(await pay(psuToken, consentId, initiation, '10.00', { creditor: { ...society, SecondaryIdentification: 'ROLL-2' } }), 400, 'U008', 'Data.Instruction.CreditorAccount');
    expect(await countVrps(consentId)).toBe(0);
    expect(await available(debtor)).toBe('1000.00000');
    // The VRP the consent allows reaches the bank with the roll number the PSU approved (until 7 December
    // 2026 a VRP's first send dropped it, while an admin's release and the worker's re-drive sent it).
    const orders = vi.spyOn(SandboxLedgerConnector.prototype, 'initiatePayment');
    try {
      const paid = await pay(psuToken, consentId, initiation, '10.00', { creditor: society });
      expect(paid.status).toBe(201);
      const order = orders.mock.calls.find(([sent]) => sent.paymentId === jsonString(paid.body.Data.DomesticVRPId))?.[0];
      expect(order?.creditorAccount).toEqual({ schemeName: society.SchemeName, identification: society.Identification, name: society.Name, secondaryIdentification: 'ROLL-1' });
    } finally {
      orders.mockRestore();
    }
  });

  it('lets concurrent VRPs that together would pass the periodic limit through exactly up to it', async () => {
    await setBalance(debtor, '1000.00');
    const params = controlParameters({ MaximumIndividualAmount: { Amount: '30.00', Currency: 'GBP' }, PeriodicLimits: [{ PeriodType: 'Day', PeriodAlignment: 'Calendar', Amount: '100.00', Currency: 'GBP' }] });
    const { consentId, psuToken, initiation } = await authorisedConsent(consentBody(params));
    // More at once than the API's database pool holds (10 connections): each write's transaction holds
    // one while it waits for the consent's row lock, so nothing in it may need a second.
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => pay(psuToken, consentId, initiation, '25.00', { reference: `RACE-${i}` })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(4);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(12);
    for (const r of refused) expectError(r, 400, 'U014');
    const [{ sum }] = await h.dataSource.query(`SELECT sum(amount)::text AS sum FROM vrp_payment WHERE consent_id = $1 AND status <> 'RJCT'`, [consentId]);
    expect(sum).toBe('100.00000');
    expect(await available(debtor)).toBe('900.00000');
  });

  it('makes more VRPs at once under one consent than the API has database connections, each in one piece', async () => {
    // Each VRP holds a pool connection while it waits for the consent's row lock: nothing done while the
    // lock is held may need a second connection, or the pool runs dry and every VRP waits for ever.
    await setBalance(debtor, '1000.00');
    const { consentId, psuToken, initiation } = await authorisedConsent();
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => pay(psuToken, consentId, initiation, '1.00', { reference: `BURST-${i}` })));
    for (const result of results) {
      expect(result.status, JSON.stringify(result.body)).toBe(201);
      expect(result.body.Data.Status).toBe('ACSP');
      expect(result.body.Data.DebtorAccount.Identification).toBeTypeOf('string');
    }
    expect(await countVrps(consentId)).toBe(16);
    expect(await available(debtor)).toBe('984.00000');
  });

  it('answers identical VRPs sent at the same instant alike: the settled ACSP answer, byte for byte, for every one', async () => {
    await setBalance(debtor, '1000.00');
    const { consentId, psuToken, initiation } = await authorisedConsent();
    const body = vrpBody(consentId, initiation, '3.00', { reference: 'VRP-IDEM-1' });
    // The duplicates find the first's answer committed but not yet settled (PDNG): each must answer what
    // the first caller gets once the bank has debited.
    const answers = await Promise.all(Array.from({ length: 8 }, () => h.signedPost(VRPS, { token: psuToken, body, idempotencyKey: 'vrp-once-1' })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(201));
    expect(answers.map((answer) => answer.body.Data.Status)).toEqual(Array(8).fill('ACSP'));
    expect(answers.map((answer) => JSON.stringify(answer.body))).toEqual(Array(8).fill(JSON.stringify(answers[0]!.body)));
    expectVrp('OBDomesticVRPResponse', answers[0]!.body);
    expect(await countVrps(consentId)).toBe(1);
    expect(await available(debtor)).toBe('997.00000');
  });

  it('ends the consent when the TPP deletes it or the PSU revokes it, and refuses the next VRP', async () => {
    await setBalance(debtor, '1000.00');
    const deleted = await authorisedConsent();
    expect((await h.tpp('DELETE', `${CONSENTS}/${deleted.consentId}`, { token: cc })).status).toBe(204);
    expect((await h.tpp('GET', `${CONSENTS}/${deleted.consentId}`, { token: cc })).body.Data.Status).toBe('CANC');
    expect((await pay(deleted.psuToken, deleted.consentId, deleted.initiation, '10.00')).status).toBe(401);

    const revoked = await authorisedConsent();
    expect((await pay(revoked.psuToken, revoked.consentId, revoked.initiation, '10.00')).status).toBe(201);
    const session = await h.customerSession('alice');
    const ended = await h.call('DELETE', `/customer/consents/${revoked.consentId}`, { headers: { authorization: `Bearer ${session}` } });
    expect(ended.status).toBe(204);
    const [row] = await h.dataSource.query(`SELECT status, grant_id FROM payment_consent WHERE consent_id = $1`, [revoked.consentId]);
    expect(row).toEqual({ status: 'CANC', grant_id: null });
    expect((await pay(revoked.psuToken, revoked.consentId, revoked.initiation, '10.00')).status).toBe(401);
    // Even a token that passed the grant check finds the consent ended (U009), and nothing is paid.
    await h.dataSource.query(`UPDATE payment_consent SET grant_id = $2 WHERE consent_id = $1`, [revoked.consentId, `grant-${revoked.consentId}`]);
    expectError(await pay(revoked.psuToken, revoked.consentId, revoked.initiation, '10.00'), 400, 'U009');
    expect(await countVrps(revoked.consentId)).toBe(1);
  });
});
