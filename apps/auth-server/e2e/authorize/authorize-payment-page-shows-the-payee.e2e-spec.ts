import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JsonObject } from '@consentry/database';
import { SANDBOX_TPP } from '@consentry/sandbox';
import * as client from 'openid-client';

import { AuthServerFixture, startAuthServerFixture } from '../support/auth-server.fixture.js';
import { createDomesticPaymentConsent, createVrpConsent, gbpPaymentAccountOf } from '../support/payment-consents.js';
import { PageResponse, PsuBrowser } from '../support/psu-browser.js';
import { approve, pageField as field, paymentApprovalPage } from '../support/psu-journey.js';
import { newDPoPHandle, pushAuthorization, tppConfiguration } from '../support/tpp-client.js';

const PAYEE = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678', Name: 'Leeds Building Society' };

/**
 * PSD2 RTS Art. 5 (dynamic linking): the approval pages show the payee the approval binds, all of it. A
 * roll number (SecondaryIdentification) is part of the payee: two consents to one building society account
 * with other roll numbers pay different people. A consent stored before the API refused identifications
 * outside their scheme's form (7 December 2026) is not put to the PSU at all.
 */
describe('payment approval pages: the whole payee, as the consent holds it', () => {
  let fixture: AuthServerFixture;
  let config: client.Configuration;

  beforeAll(async () => {
    fixture = await startAuthServerFixture('authorize_whole_payee');
    config = await tppConfiguration(fixture.server.url, fixture.credentials.tpp);
  });
  afterAll(async () => fixture?.stop());

  const paymentConsent = (creditorAccount: JsonObject): Promise<string> => createDomesticPaymentConsent(fixture.db.dataSource, creditorAccount, 'SAVINGS-1');

  /** The PSU signed in, at the approval page of the consent. */
  async function approvalPage(consentId: string, who: string): Promise<{ browser: PsuBrowser; page: PageResponse }> {
    const opened = await paymentApprovalPage(config, consentId, fixture.credentials.psus.find((p) => p.username === who)!);
    expect(opened.page.status).toBe(200);
    return opened;
  }

  it('shows the payee’s roll number on the payment page, and approves the consent that holds it', async () => {
    const consentId = await paymentConsent({ ...PAYEE, SecondaryIdentification: 'ROLL 123-A' });
    const { browser, page } = await approvalPage(consentId, 'alice');
    // Until 7 December 2026 the page showed the name, the account and the reference, and no roll number.
    expect({ account: field(page, 'payee-account'), roll: field(page, 'payee-secondary-identification') }).toEqual({ account: '40-40-04 12345678', roll: 'ROLL 123-A' });
    const back = new URL((await approve(browser, page, [await gbpPaymentAccountOf(fixture.db.dataSource, 'alice')])).url);
    expect(back.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('shows the roll number on the VRP page whole, all digits too, and no roll-number line for a payee without one', async () => {
    // An all-digit roll number is not masked as free text is: 12345678 and 99995678 are two payees.
    const withRoll = await approvalPage(await createVrpConsent(fixture.db.dataSource, { ...PAYEE, SecondaryIdentification: '12345678' }), 'bob');
    expect(field(withRoll.page, 'payee-secondary-identification')).toBe('12345678');
    const without = await approvalPage(await paymentConsent(PAYEE), 'bob');
    expect(without.page.body).not.toContain('payee-secondary-identification');
  });

  it('does not ask the PSU to approve a consent stored before the API refused its payee: no order could repeat it', async () => {
    for (const [account, problem] of [
      [{ SchemeName: 'UK.OBIE.Wallet', Identification: '\u202E87654321 40-04-04', Name: 'Mallory' }, 'CreditorAccount.Identification must hold no control, format or invisible characters'],
      [{ ...PAYEE, Identification: '40-40-04 12345678' }, 'CreditorAccount.Identification must be the 6-digit sort code and the 8-digit account number, 14 digits for UK.OBIE.SortCodeAccountNumber'],
    ] as const) {
      const consentId = await paymentConsent(account);
      const request = await pushAuthorization(config, await newDPoPHandle(config), SANDBOX_TPP.redirectUri, consentId, 'openid payments');
      const back = new URL((await new PsuBrowser(SANDBOX_TPP.redirectUri).open(request.url)).url);
      expect(back.origin + back.pathname).toBe(SANDBOX_TPP.redirectUri);
      expect(Object.fromEntries(back.searchParams)).toMatchObject({ error: 'invalid_request', error_description: `the requested consent cannot be paid: its ${problem}`, state: request.state });
    }
  });

  it('names the scheme of a payee whose identification could read as a sort code and account number', async () => {
    // The API takes a wallet written so (a wallet has no one form); the page must not show it as the account 40400412345678.
    const consentId = await paymentConsent({ SchemeName: 'UK.OBIE.Wallet', Identification: '40-40-04 12345678', Name: 'Mallory' });
    const { page } = await approvalPage(consentId, 'alice');
    expect(field(page, 'payee-account')).toBe('Wallet: 40-40-04 12345678');
  });
});
