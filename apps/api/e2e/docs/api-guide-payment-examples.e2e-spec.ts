import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';

const PISP = '/open-banking/v4.0/pisp';
const GUIDE = new URL('../../../../docs/api-guide.md', import.meta.url);
/** What the guide's payment orders write where the consent's id goes. */
const CONSENT_ID_PLACEHOLDER = '"<ConsentId>"';

/**
 * The request examples of docs/api-guide.md's "Request examples" section: each ```http block's body, by the
 * path of its `POST` line.
 */
function guideExamples(): Map<string, string> {
  const guide = readFileSync(GUIDE, 'utf8');
  const start = guide.indexOf('\n### Request examples\n');
  if (start < 0) throw new Error('docs/api-guide.md has no "Request examples" section');
  const end = guide.indexOf('\n## ', start);
  const section = guide.slice(start, end < 0 ? undefined : end);
  const examples = new Map<string, string>();
  for (const [, block] of section.matchAll(/```http\n([\s\S]*?)\n```/g)) {
    const [requestLine = ''] = block!.split('\n');
    const path = /^POST (\S+)$/.exec(requestLine)?.[1];
    const blank = block!.indexOf('\n\n');
    if (!path || blank < 0) throw new Error(`an example is not "POST <path>", headers, a blank line and a body:\n${block}`);
    examples.set(path, block!.slice(blank + 2));
  }
  return examples;
}

/** An example's body as sent: exactly the guide's text, the consent's id put in its place. */
function bodyOf(examples: Map<string, string>, path: string, consentId?: string): string {
  const text = examples.get(path);
  if (text === undefined) throw new Error(`docs/api-guide.md has no example of POST ${path}`);
  return consentId === undefined ? text : text.replace(CONSENT_ID_PLACEHOLDER, JSON.stringify(consentId));
}

describe('docs/api-guide.md: the payment request examples', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let debtor: PsuAccount;
  const examples = guideExamples();

  beforeAll(async () => {
    h = await ApiHarness.start('api_guide_payment_examples');
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'payments' });
    debtor = await fixtures.gbpAccount('alice', 'Alice');
  });
  afterAll(async () => h?.stop());

  it('holds one example of each request, each valid against the official v4.0 schema', () => {
    expect([...examples.keys()]).toEqual([`${PISP}/domestic-payment-consents`, `${PISP}/domestic-payments`, `${PISP}/domestic-vrp-consents`, `${PISP}/domestic-vrps`]);
    expectObSchema('OBWriteDomesticConsent4', JSON.parse(bodyOf(examples, `${PISP}/domestic-payment-consents`)), 'payment-initiation');
    expectObSchema('OBWriteDomestic2', JSON.parse(bodyOf(examples, `${PISP}/domestic-payments`, 'pmc-example')), 'payment-initiation');
    expectObSchema('OBDomesticVRPConsentRequest', JSON.parse(bodyOf(examples, `${PISP}/domestic-vrp-consents`)), 'vrp');
    expectObSchema('OBDomesticVRPRequest', JSON.parse(bodyOf(examples, `${PISP}/domestic-vrps`, 'pmc-example')), 'vrp');
  });

  it('pays the domestic payment of the examples once the PSU approved its consent', async () => {
    const created = await h.signedPost(`${PISP}/domestic-payment-consents`, { token: cc, rawBody: bodyOf(examples, `${PISP}/domestic-payment-consents`) });
    expect({ status: created.status, consentStatus: created.body.Data.Status }).toEqual({ status: 201, consentStatus: 'AWAU' });
    const { consentId, psuToken } = await fixtures.approve(created, debtor.accountId, 'payments');
    const paid = await h.signedPost(`${PISP}/domestic-payments`, { token: psuToken, rawBody: bodyOf(examples, `${PISP}/domestic-payments`, consentId) });
    expect({ status: paid.status, paymentStatus: paid.body.Data.Status, consentId: paid.body.Data.ConsentId }).toEqual({ status: 201, paymentStatus: 'ACSP', consentId });
    expectObSchema('OBWriteDomesticResponse5', paid.body, 'payment-initiation');
    expect(Number(await fixtures.available(debtor.accountId))).toBe(10_000 - 10.5);
  });

  it('pays the VRP of the examples under its approved consent, which stays authorised', async () => {
    const created = await h.signedPost(`${PISP}/domestic-vrp-consents`, { token: cc, rawBody: bodyOf(examples, `${PISP}/domestic-vrp-consents`) });
    expect({ status: created.status, consentStatus: created.body.Data.Status }).toEqual({ status: 201, consentStatus: 'AWAU' });
    const { consentId, psuToken } = await fixtures.approve(created, debtor.accountId, 'payments');
    const paid = await h.signedPost(`${PISP}/domestic-vrps`, { token: psuToken, rawBody: bodyOf(examples, `${PISP}/domestic-vrps`, consentId) });
    expect({ status: paid.status, paymentStatus: paid.body.Data.Status, consentId: paid.body.Data.ConsentId }).toEqual({ status: 201, paymentStatus: 'ACSP', consentId });
    expectObSchema('OBDomesticVRPResponse', paid.body, 'vrp');
    const consent = await h.tpp('GET', `${PISP}/domestic-vrp-consents/${consentId}`, { token: cc });
    expect({ status: consent.status, consentStatus: consent.body.Data.Status }).toEqual({ status: 200, consentStatus: 'AUTH' });
  });
});
