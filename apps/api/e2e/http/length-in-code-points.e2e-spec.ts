import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { ObAccount, PaymentFixtures, PsuAccount, vrpConsentBody } from '../support/payment-fixtures.js';

/** A request body the test builds (what it reads back is the harness's JsonBody). */
type JsonInput = { [member: string]: unknown };

const PAYMENT_CONSENTS = '/open-banking/v4.0/pisp/domestic-payment-consents';
const VRP_CONSENTS = '/open-banking/v4.0/pisp/domestic-vrp-consents';
const VS15 = '\uFE0E';
const VS16 = '\uFE0F';
const ASTRAL = '😀'; // U+1F600: one code point, two UTF-16 units

// The OB schemas count maxLength in Unicode code points; validator.js (class-validator's Length) did
// not count U+FE0E/U+FE0F at all, so 35 "a\uFE0F" (70 code points) passed Max35Text and was stored.
describe('text limits are counted in code points, as the OB schemas count them', () => {
  let h: ApiHarness;
  let cc: string;
  let payee: ObAccount;

  beforeAll(async () => {
    h = await ApiHarness.start('length_in_code_points');
    const fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    [{ account: payee }] = (await fixtures.accountsOf('bob', 1, 'Bob')) as [PsuAccount];
  });
  afterAll(async () => h?.stop());

  const consents = async (): Promise<number> =>
    ((await h.dataSource.query('SELECT count(*)::int AS n FROM payment_consent')) as Array<{ n: number }>)[0]!.n;

  function initiation(extra: JsonInput = {}): JsonInput {
    return {
      InstructionIdentification: 'I-CODEPOINTS',
      EndToEndIdentification: 'E-CODEPOINTS',
      InstructedAmount: { Amount: '10.00', Currency: 'GBP' },
      CreditorAccount: payee,
      ...extra,
    };
  }

  function expectRefused(result: CallResult, spec: 'payment-initiation' | 'vrp', path: string, limit: number, each = false): void {
    expect(result.status, JSON.stringify(result.body)).toBe(400);
    expectObSchema('OBErrorResponse1', result.body, spec);
    expect(result.body.Errors).toEqual([
      { ErrorCode: 'U002', Message: `${each ? 'each value in ' : ''}${path} must be shorter than or equal to ${limit} characters`, Path: path },
    ]);
  }

  it('refuses an EndToEndIdentification of 35 letters each with a variation selector (70 code points), writing nothing', async () => {
    const before = await consents();
    const value = `a${VS16}`.repeat(35);
    const result = await h.signedPost(PAYMENT_CONSENTS, { token: cc, body: { Data: { Initiation: initiation({ EndToEndIdentification: value }) }, Risk: {} } });
    expectRefused(result, 'payment-initiation', 'Data.Initiation.EndToEndIdentification', 35);
    expect(await consents()).toBe(before);
  });

  // Each field one code point over its limit; the creditor's fields replace those of a real account.
  it.each<[string, () => JsonInput, string, number, boolean]>([
    ['InstructionIdentification', () => ({ InstructionIdentification: `${'a'.repeat(35)}${VS16}` }), 'Data.Initiation.InstructionIdentification', 35, false],
    ['CreditorAccount.Name', () => ({ CreditorAccount: { ...payee, Name: `${'b'.repeat(350)}${VS15}` } }), 'Data.Initiation.CreditorAccount.Name', 350, false],
    // A wallet with an astral code point (two UTF-16 units): a sort code and account number is refused at
    // 15 digits by its form, and an identification refuses a variation selector as invisible.
    ['CreditorAccount.Identification', () => ({ CreditorAccount: { ...payee, SchemeName: 'UK.OBIE.Wallet', Identification: `${'1'.repeat(256)}${ASTRAL}` } }), 'Data.Initiation.CreditorAccount.Identification', 256, false],
    ['RemittanceInformation.Unstructured line', () => ({ RemittanceInformation: { Unstructured: [`${'r'.repeat(140)}${VS16}`] } }), 'Data.Initiation.RemittanceInformation.Unstructured', 140, true],
  ])('refuses a %s one variation selector over its limit, writing nothing', async (_field, extra, path, limit, each) => {
    const before = await consents();
    const result = await h.signedPost(PAYMENT_CONSENTS, { token: cc, body: { Data: { Initiation: initiation(extra()) }, Risk: {} } });
    expectRefused(result, 'payment-initiation', path, limit, each);
    expect(await consents()).toBe(before);
  });

  it('refuses a VRP consent’s creditor Name of 350 letters and a variation selector, writing nothing', async () => {
    const before = await consents();
    const body = vrpConsentBody({ ...payee, Name: `${'c'.repeat(350)}${VS16}` });
    expectRefused(await h.signedPost(VRP_CONSENTS, { token: cc, body }), 'vrp', 'Data.Initiation.CreditorAccount.Name', 350);
    expect(await consents()).toBe(before);
  });

  it('accepts an EndToEndIdentification of exactly 35 code points, one an astral emoji, and answers it as sent', async () => {
    const value = `${'a'.repeat(34)}${ASTRAL}`;
    expect(value.length).toBe(36);
    const result = await h.signedPost(PAYMENT_CONSENTS, { token: cc, body: { Data: { Initiation: initiation({ EndToEndIdentification: value }) }, Risk: {} } });
    expect(result.status, JSON.stringify(result.body)).toBe(201);
    expectObSchema('OBWriteDomesticConsentResponse5', result.body, 'payment-initiation');
    expect(jsonString(result.body.Data.Initiation.EndToEndIdentification)).toBe(value);
    const read = await h.tpp('GET', `${PAYMENT_CONSENTS}/${jsonString(result.body.Data.ConsentId)}`, { token: cc });
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expectObSchema('OBWriteDomesticConsentResponse5', read.body, 'payment-initiation');
    expect(jsonString(read.body.Data.Initiation.EndToEndIdentification)).toBe(value);
  });
});
