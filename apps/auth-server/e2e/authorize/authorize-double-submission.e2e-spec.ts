import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CreatePaymentConsent, findConsentAccess } from '@consentry/consents';
import { JsonObject, PaymentConsentStatus } from '@consentry/database';
import { SANDBOX_TPP } from '@consentry/sandbox';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';

import { GrantJourneys, startGrantJourneys, Tokens } from '../support/grant-journeys.js';
import { formOf, PageResponse, PsuBrowser } from '../support/psu-browser.js';
import { signIn } from '../support/psu-journey.js';
import { pushAuthorization, PushedAuthorization } from '../support/tpp-client.js';

const PAYEE = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678', Name: 'Bob’s Gym' };

/** A PSU signed in and looking at the consent (or payment) page of a pushed request. */
interface AtConsentPage {
  consentId: string;
  keys: client.CryptoKeyPair;
  pushed: PushedAuthorization;
  browser: PsuBrowser;
  page: PageResponse;
  uid: string;
}

type Answer = { status: number; location: string | null };

/**
 * The PSU's browser sends the consent page's form twice (a double-clicked Approve, or Approve then
 * Deny before the page moved on), one after the other or at the same instant. Whatever the order, the
 * interaction keeps its first answer: exactly one result, one authorisation of the consent, one
 * `consent.authorised` event, and the code of that approval reaches the TPP and buys tokens.
 */
describe('authorization journey: the consent page’s form sent twice', () => {
  let journeys: GrantJourneys;

  beforeAll(async () => {
    journeys = await startGrantJourneys('double_submission');
  });
  afterAll(async () => journeys?.stop());

  async function atConsentPage(who: string, consentId: string, scope: string): Promise<AtConsentPage> {
    const keys = await client.randomDPoPKeyPair('ES256');
    const pushed = await pushAuthorization(journeys.config, client.getDPoPHandle(journeys.config, keys), SANDBOX_TPP.redirectUri, consentId, scope);
    const browser = new PsuBrowser(SANDBOX_TPP.redirectUri);
    const page = await signIn(browser, await browser.open(pushed.url), journeys.psu(who));
    expect(page.status).toBe(200);
    return { consentId, keys, pushed, browser, page, uid: new URL(page.url).pathname.split('/').pop()! };
  }

  /** Sends the page's form posting to `suffix` (its csrf and `fields`), without following the answer. */
  function send(at: AtConsentPage, suffix: '/confirm' | '/abort', fields: Record<string, string | string[]> = {}): Promise<Answer> {
    const { action, csrf } = formOf(at.page.body, suffix);
    return at.browser.submit(new URL(action, at.page.url), { csrf, ...fields });
  }

  /** Both answers send the browser on to the same resume of the interaction. */
  function expectResumes(at: AtConsentPage, answers: Answer[]): void {
    for (const answer of answers) {
      expect(answer.status).toBe(303);
      expect(new URL(answer.location!, at.page.url).pathname).toBe(`/auth/${at.uid}`);
    }
  }

  /** Follows one answer to the TPP's redirect_uri: the query it gets. */
  async function landAtTpp(at: AtConsentPage, answer: Answer): Promise<URL> {
    const landed = new URL((await at.browser.open(new URL(answer.location!, at.page.url))).url);
    expect(landed.origin + landed.pathname).toBe(SANDBOX_TPP.redirectUri);
    return landed;
  }

  async function expectCode(at: AtConsentPage, callback: URL): Promise<Tokens> {
    expect(Object.fromEntries(callback.searchParams)).toEqual({ code: expect.any(String), state: at.pushed.state, iss: journeys.fixture.server.url });
    const tokens = await client.authorizationCodeGrant(
      journeys.config,
      new URL(`${SANDBOX_TPP.redirectUri}${callback.search}`),
      { pkceCodeVerifier: at.pushed.codeVerifier, expectedState: at.pushed.state, expectedNonce: at.pushed.nonce },
      undefined,
      { DPoP: client.getDPoPHandle(journeys.config, at.keys) },
    );
    expect(decodeJwt(tokens.access_token).openbanking_intent_id).toBe(at.consentId);
    return tokens;
  }

  async function authorisedEvents(consentId: string): Promise<number> {
    const rows = await journeys.query(`SELECT 1 FROM audit_outbox WHERE event->>'type' = 'consent.authorised' AND event->>'consentId' = $1`, [consentId]);
    return rows.length;
  }

  async function grantExists(grantId: string | null): Promise<boolean> {
    const rows = await journeys.query(`SELECT 1 FROM oidc_model WHERE model = 'Grant' AND id = $1`, [grantId]);
    return rows.length === 1;
  }

  /** Authorised once, with the one account, under a grant that exists. */
  async function expectAisAuthorisedOnce(consentId: string, accountId: string): Promise<void> {
    const access = await findConsentAccess(journeys.fixture.db.dataSource, consentId);
    expect(access?.status).toBe('AUTH');
    expect(access?.accountIds).toEqual([accountId]);
    expect(await grantExists(access?.grantId ?? null)).toBe(true);
    expect(await authorisedEvents(consentId)).toBe(1);
  }

  async function paymentConsent(who: string): Promise<{ consentId: string; debtorAccountId: string }> {
    const [debtor] = await journeys.query<{ account_id: string }>(
      `SELECT a.account_id FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = $1 AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' AND a.status = 'Enabled'
        ORDER BY a.account_id LIMIT 1`,
      [who],
    );
    const consent = await new CreatePaymentConsent(journeys.fixture.db.dataSource).execute({
      clientId: SANDBOX_TPP.clientId,
      kind: 'domestic-payment',
      initiation: { InstructionIdentification: 'INSTR-GYM-1', EndToEndIdentification: 'GYM-1', InstructedAmount: { Amount: '25.00', Currency: 'GBP' }, CreditorAccount: PAYEE } as JsonObject,
      risk: {},
      expirationDateTime: null,
    });
    return { consentId: consent.consentId, debtorAccountId: debtor!.account_id };
  }

  async function expectPaymentAuthorisedOnce(consentId: string, debtorAccountId: string): Promise<void> {
    const [row] = await journeys.query<{ status: PaymentConsentStatus; debtor_account_id: string; grant_id: string | null }>(
      `SELECT status, debtor_account_id, grant_id FROM payment_consent WHERE consent_id = $1`,
      [consentId],
    );
    expect(row).toMatchObject({ status: 'AUTH', debtor_account_id: debtorAccountId });
    expect(await grantExists(row!.grant_id)).toBe(true);
    expect(await authorisedEvents(consentId)).toBe(1);
  }

  it('an account-access approval sent twice, one after the other: the first approval’s code reaches the TPP', async () => {
    const accountId = journeys.psu('alice').accounts[0]!.accountId;
    const at = await atConsentPage('alice', await journeys.fixture.createConsent(), 'openid accounts');
    const first = await send(at, '/confirm', { accountIds: [accountId] });
    const second = await send(at, '/confirm', { accountIds: [accountId] });
    expectResumes(at, [first, second]);
    await expectCode(at, await landAtTpp(at, first));
    await expectAisAuthorisedOnce(at.consentId, accountId);
  });

  it('an account-access approval sent twice at the same instant: one result, the consent authorised once', async () => {
    const accountId = journeys.psu('bob').accounts[0]!.accountId;
    const at = await atConsentPage('bob', await journeys.fixture.createConsent(), 'openid accounts');
    const answers = await Promise.all([0, 1].map(() => send(at, '/confirm', { accountIds: [accountId] })));
    expectResumes(at, answers);
    await expectCode(at, await landAtTpp(at, answers[0]!));
    await expectAisAuthorisedOnce(at.consentId, accountId);
  });

  it('a payment approval sent twice, one after the other: the first approval’s code reaches the TPP', async () => {
    const { consentId, debtorAccountId } = await paymentConsent('carol');
    const at = await atConsentPage('carol', consentId, 'openid payments');
    const first = await send(at, '/confirm', { accountIds: [debtorAccountId] });
    const second = await send(at, '/confirm', { accountIds: [debtorAccountId] });
    expectResumes(at, [first, second]);
    await expectCode(at, await landAtTpp(at, first));
    await expectPaymentAuthorisedOnce(consentId, debtorAccountId);
  });

  it('a payment approval sent twice at the same instant: one result, the consent authorised once', async () => {
    const { consentId, debtorAccountId } = await paymentConsent('alice');
    const at = await atConsentPage('alice', consentId, 'openid payments');
    const answers = await Promise.all([0, 1].map(() => send(at, '/confirm', { accountIds: [debtorAccountId] })));
    expectResumes(at, answers);
    await expectCode(at, await landAtTpp(at, answers[0]!));
    await expectPaymentAuthorisedOnce(consentId, debtorAccountId);
  });

  it('Deny sent after Approve on the same page does not undo the approval', async () => {
    const accountId = journeys.psu('carol').accounts[0]!.accountId;
    const at = await atConsentPage('carol', await journeys.fixture.createConsent(), 'openid accounts');
    const approved = await send(at, '/confirm', { accountIds: [accountId] });
    const denied = await send(at, '/abort');
    expectResumes(at, [approved, denied]);
    await expectCode(at, await landAtTpp(at, denied));
    await expectAisAuthorisedOnce(at.consentId, accountId);
    const rejected = await journeys.query(`SELECT 1 FROM audit_outbox WHERE event->>'type' = 'consent.rejected' AND event->>'consentId' = $1`, [at.consentId]);
    expect(rejected).toHaveLength(0);
  });

  it('a re-confirmation sent twice at the same instant: re-confirmed once (the second would revoke the first’s grant), and the TPP’s code buys tokens', async () => {
    const accountId = journeys.psu('alice').accounts[0]!.accountId;
    const first = await atConsentPage('alice', await journeys.fixture.createConsent(), 'openid accounts');
    await expectCode(first, await landAtTpp(first, await send(first, '/confirm', { accountIds: [accountId] })));
    // UK: re-confirmed every 90 days; authorised 100 days ago, it is due.
    await journeys.query(`UPDATE account_access_consent SET authorised_at = now() - interval '100 days', jurisdiction = 'UK' WHERE consent_id = $1`, [first.consentId]);
    const again = await atConsentPage('alice', first.consentId, 'openid accounts');
    const answers = await Promise.all([0, 1].map(() => send(again, '/confirm')));
    expectResumes(again, answers);
    await expectCode(again, await landAtTpp(again, answers[0]!));
    const events = await journeys.query(`SELECT 1 FROM audit_outbox WHERE event->>'type' = 'consent.reauthenticated' AND event->>'consentId' = $1`, [first.consentId]);
    expect(events).toHaveLength(1);
    const access = await findConsentAccess(journeys.fixture.db.dataSource, first.consentId);
    expect(await grantExists(access?.grantId ?? null)).toBe(true);
  });

  it('Approve that finds the same page’s Deny recorded, its answer not yet saved: the TPP gets access_denied, as the Deny answers', async () => {
    const accountId = journeys.psu('bob').accounts[0]!.accountId;
    const at = await atConsentPage('bob', await journeys.fixture.createConsent(), 'openid accounts');
    // Where the Deny stands when it won the consent's row lock and has not finished the interaction yet.
    await journeys.query(`UPDATE account_access_consent SET status = 'RJCT', status_update_date_time = now() WHERE consent_id = $1`, [at.consentId]);
    const answer = await send(at, '/confirm', { accountIds: [accountId] });
    expectResumes(at, [answer]);
    const callback = await landAtTpp(at, answer);
    // Until 6 December 2026: invalid_request ("can no longer be authorised"), whichever answer was saved last.
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('code')).toBeNull();
    expect(await authorisedEvents(at.consentId)).toBe(0);
  });

  it('Approve and Deny at the same instant: the TPP gets the answer the consent records', async () => {
    const accountId = journeys.psu('bob').accounts[0]!.accountId;
    const at = await atConsentPage('bob', await journeys.fixture.createConsent(), 'openid accounts');
    const answers = await Promise.all([send(at, '/confirm', { accountIds: [accountId] }), send(at, '/abort')]);
    expectResumes(at, answers);
    const callback = await landAtTpp(at, answers[0]!);
    const access = await findConsentAccess(journeys.fixture.db.dataSource, at.consentId);
    // Whichever reached the consent's row lock first decided; the other changed nothing.
    if (access?.status === 'AUTH') {
      await expectCode(at, callback);
      await expectAisAuthorisedOnce(at.consentId, accountId);
    } else {
      expect(access?.status).toBe('RJCT');
      expect(callback.searchParams.get('code')).toBeNull();
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(await authorisedEvents(at.consentId)).toBe(0);
    }
  });
});
