import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, CallResult } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { ObAccount, PaymentFixtures, PsuAccount, vrpConsentBody } from '../support/payment-fixtures.js';

/** A request body the test builds (what it reads back is the harness's JsonBody). */
type JsonInput = { [member: string]: unknown };
type ObSpec = 'payment-initiation' | 'vrp' | 'confirmation-funds' | 'account-info';

const PISP = '/open-banking/v4.0/pisp';
const PAYMENT_CONSENTS = `${PISP}/domestic-payment-consents`;
const PAYMENTS = `${PISP}/domestic-payments`;
const VRP_CONSENTS = `${PISP}/domestic-vrp-consents`;
const COF_CONSENTS = '/open-banking/v4.0/cbpii/funds-confirmation-consents';
const LIMITS = 'Data.ControlParameters.PeriodicLimits';
// 23:59:59 at UTC-23:59 is 10000-01-01T23:58:59Z: the wall clock is in range, the instant is not.
const PAST_9999 = '9999-12-31T23:59:59-23:59';

// Bodies whose shape the global validation pipe must refuse with the field's code and Path, on the real
// routes, before anything is written: field names that class-transformer would silently skip, items of
// an array of objects that are not objects, date-times past year 9999 in UTC, a field with an empty name.
describe('body shapes the validation pipe refuses', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let debtor: PsuAccount;
  let payee: ObAccount;

  beforeAll(async () => {
    h = await ApiHarness.start('body_validation_shapes');
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    [debtor] = (await fixtures.accountsOf('alice', 1, 'Alice')) as [PsuAccount];
    [{ account: payee }] = (await fixtures.accountsOf('bob', 1, 'Bob')) as [PsuAccount];
    await fixtures.setBalance(debtor.accountId, '10000.00');
  });
  afterAll(async () => h?.stop());

  const count = async (table: 'payment_consent' | 'domestic_payment'): Promise<number> =>
    ((await h.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`)) as Array<{ n: number }>)[0]!.n;

  function expectRefused(result: CallResult, spec: ObSpec, errors: unknown[]): void {
    expect(result.status, JSON.stringify(result.body)).toBe(400);
    expectObSchema('OBErrorResponse1', result.body, spec);
    expect(result.body.Errors).toEqual(errors);
  }

  const unexpected = (path: string) => ({ ErrorCode: 'U005', Message: `${path} is not a field of this resource`, Path: path });

  function initiation(extra: JsonInput = {}, amount: JsonInput = {}): JsonInput {
    return {
      InstructionIdentification: 'I-SHAPES',
      EndToEndIdentification: 'E-SHAPES',
      InstructedAmount: { Amount: '10.00', Currency: 'GBP', ...amount },
      CreditorAccount: payee,
      ...extra,
    };
  }

  const vrpConsent = (params: JsonInput = {}): JsonInput => vrpConsentBody(payee, params);

  describe('a field named like a member of Object.prototype is an unknown field (U005), not dropped', () => {
    it('refuses a payment carrying such fields, naming each, and pays nothing', async () => {
      const { consentId, psuToken } = await fixtures.approve(await h.signedPost(PAYMENT_CONSENTS, { token: cc, body: { Data: { Initiation: initiation() }, Risk: {} } }), debtor.accountId, 'payments');
      const payments = await count('domestic_payment');
      const body = {
        Data: {
          ConsentId: consentId,
          Initiation: initiation({ toString: 'evil', hasOwnProperty: 1 }, { valueOf: '999.00' }),
          toLocaleString: { Amount: '1.00' },
        },
        Risk: { isPrototypeOf: 'x', propertyIsEnumerable: true, __defineGetter__: 'x', __lookupSetter__: 'x' },
      };
      expectRefused(await h.signedPost(PAYMENTS, { token: psuToken, body }), 'payment-initiation', [
        unexpected('Data.Initiation.InstructedAmount.valueOf'),
        unexpected('Data.Initiation.toString'),
        unexpected('Data.Initiation.hasOwnProperty'),
        unexpected('Data.toLocaleString'),
        unexpected('Risk.isPrototypeOf'),
        unexpected('Risk.propertyIsEnumerable'),
        unexpected('Risk.__defineGetter__'),
        unexpected('Risk.__lookupSetter__'),
      ]);
      expect(await count('domestic_payment')).toBe(payments);
    });

    it('refuses one inside an array item, and the names Nest strips (constructor, prototype), on consent creation', async () => {
      const consents = await count('payment_consent');
      const remittance = await h.signedPost(PAYMENT_CONSENTS, {
        token: cc,
        body: { Data: { Initiation: initiation({ RemittanceInformation: { Unstructured: ['rent'], prototype: 'x' } }) }, Risk: {} },
      });
      expectRefused(remittance, 'payment-initiation', [unexpected('Data.Initiation.RemittanceInformation.prototype')]);
      const limit = await h.signedPost(VRP_CONSENTS, {
        token: cc,
        body: vrpConsent({ PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP', valueOf: '1' }] }),
      });
      expectRefused(limit, 'vrp', [unexpected(`${LIMITS}[0].valueOf`)]);
      expect(await count('payment_consent')).toBe(consents);
    });

    it('refuses such a query parameter as any unknown one', async () => {
      const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
      const token = await h.consentToken(consentId);
      for (const name of ['toString', 'constructor']) {
        expectRefused(await h.tpp('GET', `${AISP}/accounts?${name}=1`, { token }), 'account-info', [unexpected(name)]);
      }
    });
  });

  describe('an item of PeriodicLimits that is not an object is U002 with its Path', () => {
    it.each<[string, unknown[]]>([
      ['an array holding the limit', [[{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP' }]]],
      ['an empty array', [[]]],
      ['an array of arrays', [[[]]]],
      ['null', [null]],
      ['a string', ['Month']],
    ])('refuses %s as the item, and writes nothing', async (_case, limits) => {
      const consents = await count('payment_consent');
      expectRefused(await h.signedPost(VRP_CONSENTS, { token: cc, body: vrpConsent({ PeriodicLimits: limits }) }), 'vrp', [
        { ErrorCode: 'U002', Message: `${LIMITS}[0] must be an object`, Path: `${LIMITS}[0]` },
      ]);
      expect(await count('payment_consent')).toBe(consents);
    });

    it('names an item’s field by the item’s index, as the control-parameter rules do', async () => {
      const limits = [
        { PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP' },
        { PeriodType: 'Decade', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP' },
      ];
      const result = await h.signedPost(VRP_CONSENTS, { token: cc, body: vrpConsent({ PeriodicLimits: limits }) });
      expectRefused(result, 'vrp', [expect.objectContaining({ ErrorCode: 'U002', Path: `${LIMITS}[1].PeriodType` })]);
    });
  });

  describe('a date-time whose UTC instant is past year 9999 is U003', () => {
    it('refuses it as a VRP consent’s ValidToDateTime and a funds-confirmation consent’s ExpirationDateTime', async () => {
      const consents = await count('payment_consent');
      expectRefused(await h.signedPost(VRP_CONSENTS, { token: cc, body: vrpConsent({ ValidToDateTime: PAST_9999 }) }), 'vrp', [
        {
          ErrorCode: 'U003',
          Message: 'Data.ControlParameters.ValidToDateTime must be an ISO 8601 date-time with a timezone',
          Path: 'Data.ControlParameters.ValidToDateTime',
        },
      ]);
      const cof = await h.tpp('POST', COF_CONSENTS, {
        token: await h.clientCredentialsToken({ scope: 'fundsconfirmations' }),
        body: { Data: { DebtorAccount: { SchemeName: debtor.account.SchemeName, Identification: debtor.account.Identification, Name: 'Alice' }, ExpirationDateTime: PAST_9999 } },
      });
      expectRefused(cof, 'confirmation-funds', [
        { ErrorCode: 'U003', Message: 'Data.ExpirationDateTime must be an ISO 8601 date-time with a timezone', Path: 'Data.ExpirationDateTime' },
      ]);
      expect(await count('payment_consent')).toBe(consents);
    });
  });

  describe('a currency is an active ISO 4217 code, not any three capitals', () => {
    it('refuses XYZ, XXX and a historic DEM in a payment consent and a VRP limit, writing nothing; GBP and EUR pass the check', async () => {
      const consents = await count('payment_consent');
      for (const currency of ['XYZ', 'XXX', 'DEM']) {
        const payment = await h.signedPost(PAYMENT_CONSENTS, { token: cc, body: { Data: { Initiation: initiation({}, { Currency: currency }) }, Risk: {} } });
        expectRefused(payment, 'payment-initiation', [
          {
            ErrorCode: 'U002',
            Message: 'Data.Initiation.InstructedAmount.Currency must be an active ISO 4217 currency code',
            Path: 'Data.Initiation.InstructedAmount.Currency',
          },
        ]);
      }
      const limit = { PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'XYZ' };
      const vrp = await h.signedPost(VRP_CONSENTS, { token: cc, body: vrpConsent({ PeriodicLimits: [limit] }) });
      expectRefused(vrp, 'vrp', [expect.objectContaining({ ErrorCode: 'U002', Path: `${LIMITS}[0].Currency` })]);
      expect(await count('payment_consent')).toBe(consents);
      for (const currency of ['GBP', 'EUR']) {
        const accepted = await h.signedPost(PAYMENT_CONSENTS, { token: cc, body: { Data: { Initiation: initiation({}, { Currency: currency }) }, Risk: {} } });
        expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
      }
    });
  });

  describe('a field with an empty name is U005 with a Path', () => {
    it('names it in brackets under the object holding it, or at the root', async () => {
      const inRisk = await h.signedPost(PAYMENT_CONSENTS, { token: cc, body: { Data: { Initiation: initiation() }, Risk: { '': 1 } } });
      expectRefused(inRisk, 'payment-initiation', [unexpected('Risk[""]')]);
      const atRoot = await h.signedPost(PAYMENT_CONSENTS, { token: cc, body: { Data: { Initiation: initiation() }, Risk: {}, '': 1 } });
      expectRefused(atRoot, 'payment-initiation', [unexpected('[""]')]);
    });
  });
});
