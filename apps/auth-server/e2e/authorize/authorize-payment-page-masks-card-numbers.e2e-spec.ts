import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JsonObject } from '@consentry/database';
import { SANDBOX_TPP } from '@consentry/sandbox';
import * as client from 'openid-client';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { createDomesticPaymentConsent, createVrpConsent, gbpPaymentAccountOf } from '../support/payment-consents.js';
import { PageResponse, PsuBrowser } from '../support/psu-browser.js';
import { approve, pageField as field, paymentApprovalPage } from '../support/psu-journey.js';
import { tppConfiguration } from '../support/tpp-client.js';

const SORT_CODE_AND_ACCOUNT = '40400412345678';
// A Luhn-valid test card number, written by the TPP with no-break spaces (U+00A0), narrow ones (U+202F)
// or in full-width digits (U+FF10-FF19), as text pasted from documents and forms often is.
const PAN = '4111111111111111';
const FULL_WIDTH_PAN = Array.from(PAN, (d) => String.fromCodePoint(0xff10 + Number(d))).join('');
const MASKED_PAN = '411111******1111';

/**
 * The payment approval pages show the PSU the payee and the reference as the TPP wrote them, with any card
 * or account number in that text masked by the rule the audit log and the people's pages use
 * (libs/redaction), whatever separates its digits; the payee's sort code and account number stay whole,
 * since they are the payee the PSU approves (PSD2 RTS Art. 5), and a card payee shows its first six and
 * last four digits (PCI DSS 3.4.1).
 */
describe('payment approval pages: card numbers in what the TPP wrote are masked', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;
  let debtorAccountId: string;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('authorize_masked_payee');
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
    debtorAccountId = await gbpPaymentAccountOf(fixture.db.dataSource, 'alice');
  });
  afterAll(async () => fixture?.stop());

  const paymentConsent = (creditorAccount: JsonObject, reference: string, more?: JsonObject): Promise<string> =>
    createDomesticPaymentConsent(fixture.db.dataSource, creditorAccount, reference, more);

  /** The PSU signed in, at the approval page of the consent (one PSU a test: a TOTP step signs in once). */
  async function approvalPage(consentId: string, who: string): Promise<{ browser: PsuBrowser; page: PageResponse }> {
    const opened = await paymentApprovalPage(config, consentId, fixture.credentials.psus.find((p) => p.username === who)!);
    expect(opened.page.status).toBe(200);
    return opened;
  }

  it('masks a card number in the payee name and the reference, shows the sort code and account number whole, and the approval still binds the consent', async () => {
    const name = `Card ${PAN.match(/\d{4}/g)!.join('\u00A0')}`;
    const consentId = await paymentConsent({ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: SORT_CODE_AND_ACCOUNT, Name: name }, FULL_WIDTH_PAN);
    const { browser, page } = await approvalPage(consentId, 'alice');
    expect({ name: field(page, 'payee-name'), account: field(page, 'payee-account'), reference: field(page, 'reference') }).toEqual({
      name: `Card ${MASKED_PAN}`,
      account: '40-40-04 12345678',
      reference: MASKED_PAN,
    });
    expect([name, FULL_WIDTH_PAN, PAN].filter((written) => page.body.includes(written))).toEqual([]);

    const back = new URL((await approve(browser, page, [debtorAccountId])).url);
    expect(back.origin + back.pathname).toBe(SANDBOX_TPP.redirectUri);
    expect(back.searchParams.get('code')).toEqual(expect.any(String));
    const [consent] = await fixture.db.dataSource.query(`SELECT status, debtor_account_id, initiation #>> '{CreditorAccount,Name}' AS name FROM payment_consent WHERE consent_id = $1`, [consentId]);
    // The page masks what it shows; the consent keeps what the TPP sent, the payee its payment goes to.
    expect(consent).toEqual({ status: 'AUTH', debtor_account_id: debtorAccountId, name });
  });

  it('leaves a payee name and reference without a card or account number as the TPP wrote them', async () => {
    const consentId = await paymentConsent({ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: SORT_CODE_AND_ACCOUNT, Name: 'Bob’s Bikes & Co' }, 'INV-2024-000123');
    const { page } = await approvalPage(consentId, 'bob');
    expect({ name: field(page, 'payee-name'), reference: field(page, 'reference') }).toEqual({ name: 'Bob’s Bikes & Co', reference: 'INV-2024-000123' });
  });

  it('shows the message to the payee (the remittance lines) with its card number masked, and no such line when there is none', async () => {
    // Until 7 December 2026 the page showed the reference alone: what the payee reads went unseen.
    const lines = ['Invoice 2024-118', `card ${PAN.match(/\d{4}/g)!.join('-')}`];
    const consentId = await paymentConsent({ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: SORT_CODE_AND_ACCOUNT, Name: 'Dave’s Garage' }, 'INV-2024-118', {
      RemittanceInformation: { Unstructured: lines },
    });
    const { page } = await approvalPage(consentId, 'bob');
    expect({ reference: field(page, 'reference'), remittance: field(page, 'remittance') }).toEqual({ reference: 'INV-2024-118', remittance: `Invoice 2024-118 card ${MASKED_PAN}` });
    expect(page.body).not.toContain(lines[1]);
    const without = await approvalPage(await paymentConsent({ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: SORT_CODE_AND_ACCOUNT, Name: 'Dave’s Garage' }, 'INV-2024-119'), 'carol');
    expect(without.page.body).not.toContain('data-field="remittance"');
  });

  it('shows a card payee by the first six and last four digits of its number', async () => {
    const consentId = await paymentConsent({ SchemeName: 'UK.OBIE.PAN', Identification: PAN, Name: 'Alice’s credit card' }, 'CARD-REPAY-1');
    const { page } = await approvalPage(consentId, 'carol');
    expect({ name: field(page, 'payee-name'), account: field(page, 'payee-account') }).toEqual({ name: 'Alice’s credit card', account: MASKED_PAN });
    expect(page.body).not.toContain(PAN);
  });

  it('masks a card number in the payee name of a VRP consent', async () => {
    const name = `Gym ${PAN.match(/\d{4}/g)!.join('\u202F')}`;
    const consentId = await createVrpConsent(fixture.db.dataSource, { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: SORT_CODE_AND_ACCOUNT, Name: name });
    const { page } = await approvalPage(consentId, 'alice');
    expect({ name: field(page, 'payee-name'), account: field(page, 'payee-account') }).toEqual({ name: `Gym ${MASKED_PAN}`, account: '40-40-04 12345678' });
    expect(page.body).not.toContain(name);
  });
});
