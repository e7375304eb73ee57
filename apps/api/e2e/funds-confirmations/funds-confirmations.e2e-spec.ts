import { expirePaymentConsents, rejectStalePaymentConsents } from '@consentry/consents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';
import { PaymentFixtures } from '../support/payment-fixtures.js';

/** A request body the test builds (what it reads back is the harness's JsonBody). */
type JsonInput = { [member: string]: unknown };

const CBPII = '/open-banking/v4.0/cbpii';
const CONSENTS = `${CBPII}/funds-confirmation-consents`;
const CONFIRMATIONS = `${CBPII}/funds-confirmations`;

function expectCof(name: string, body: unknown): void {
  expectObSchema(name, body, 'confirmation-funds');
}

describe('confirmation of funds', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let cc: string;
  let debtor: { accountId: string; SchemeName: string; Identification: string };

  beforeAll(async () => {
    h = await ApiHarness.start('funds_confirmations');
    fixtures = await PaymentFixtures.of(h);
    cc = await h.clientCredentialsToken({ scope: 'fundsconfirmations' });
    const [alice] = await fixtures.accountsOf('alice');
    debtor = { accountId: alice!.accountId, SchemeName: alice!.account.SchemeName, Identification: alice!.account.Identification };
  });
  afterAll(async () => h?.stop());

  function consentBody(data: JsonInput = {}): JsonInput {
    return { Data: { DebtorAccount: { SchemeName: debtor.SchemeName, Identification: debtor.Identification, Name: 'Alice' }, ...data } };
  }

  async function createConsent(body: JsonInput = consentBody()): Promise<CallResult> {
    expectCof('OBFundsConfirmationConsent1', body);
    return h.tpp('POST', CONSENTS, { token: cc, body });
  }

  /** A consent created through the API and approved by alice, as the approval page does. */
  async function authorisedConsent(data: JsonInput = {}): Promise<{ consentId: string; psuToken: string }> {
    return fixtures.approve(await createConsent(consentBody(data)), debtor.accountId, 'fundsconfirmations');
  }

  function confirm(token: string, consentId: string, amount = '25.00', currency = 'GBP'): Promise<CallResult> {
    const body = { Data: { ConsentId: consentId, Reference: 'Purchase01', InstructedAmount: { Amount: amount, Currency: currency } } };
    expectCof('OBFundsConfirmation1', body);
    return h.tpp('POST', CONFIRMATIONS, { token, body });
  }

  const setBalance = (amount: string) => fixtures.setBalance(debtor.accountId, amount);

  function expectError(result: CallResult, status: number, code: string, path?: string): void {
    expect(result.status).toBe(status);
    expectCof('OBErrorResponse1', result.body);
    expect(result.body.Errors[0]).toMatchObject({ ErrorCode: code, ...(path ? { Path: path } : {}) });
  }

  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const [{ n }] = await h.dataSource.query(sql, params);
    return n as number;
  }

  it('creates a consent awaiting authorisation and reads it back, shaped as OBFundsConfirmationConsentResponse1', async () => {
    const expiry = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
    const created = await createConsent(consentBody({ ExpirationDateTime: expiry }));
    expect(created.status).toBe(201);
    expectCof('OBFundsConfirmationConsentResponse1', created.body);
    expect(created.body.Data).toMatchObject({ Status: 'AWAU', DebtorAccount: (consentBody().Data as JsonInput).DebtorAccount });
    expect(Date.parse(jsonString(created.body.Data.ExpirationDateTime))).toBe(Date.parse(expiry));
    const id = jsonString(created.body.Data.ConsentId);
    expect(created.body.Links.Self).toBe(`${h.api.publicUrl}${CONSENTS}/${id}`);
    const read = await h.tpp('GET', `${CONSENTS}/${id}`, { token: cc });
    expect(read.status).toBe(200);
    expectCof('OBFundsConfirmationConsentResponse1', read.body);
    expect(read.body.Data).toEqual(created.body.Data);
    expectError(await h.tpp('GET', `${CONSENTS}/pmc-00000000-0000-4000-8000-000000000000`, { token: cc }), 404, 'U011');
  });

  it('answers FundsAvailable true or false for an amount, never the balance, and audits each question', async () => {
    await setBalance('500.00');
    const { consentId, psuToken } = await authorisedConsent();
    const covered = await confirm(psuToken, consentId, '499.99');
    expect(covered.status).toBe(201);
    expectCof('OBFundsConfirmationResponse1', covered.body);
    expect(covered.body.Data).toMatchObject({ ConsentId: consentId, FundsAvailable: true, Reference: 'Purchase01', InstructedAmount: { Amount: '499.99', Currency: 'GBP' } });
    expect(covered.body.Data.FundsConfirmationId).toMatch(/^fc-/);
    const short = await confirm(await h.consentToken(consentId, { scope: 'fundsconfirmations' }), consentId, '500.01');
    expect(short.status).toBe(201);
    expectCof('OBFundsConfirmationResponse1', short.body);
    expect(short.body.Data.FundsAvailable).toBe(false);
    // Another currency than the account's is never covered.
    expect((await confirm(await h.consentToken(consentId, { scope: 'fundsconfirmations' }), consentId, '1.00', 'EUR')).body.Data.FundsAvailable).toBe(false);
    expect(JSON.stringify([covered.body, short.body])).not.toContain('500.00');
    // The consent is not consumed: a CBPII asks as often as it needs.
    const consent = await h.tpp('GET', `${CONSENTS}/${consentId}`, { token: cc });
    expect(consent.body.Data.Status).toBe('AUTH');

    const events: Array<{ type: string; data: Record<string, unknown> }> = await h.dataSource.query(
      `SELECT event->>'type' AS type, event->'data' AS data FROM audit_outbox WHERE event->>'consentId' = $1 ORDER BY event->>'occurredAt', event->>'type'`,
      [consentId],
    );
    expect(events.map((e) => e.type)).toEqual(['consent.created', 'consent.authorised', 'funds.confirmed', 'funds.confirmed', 'funds.confirmed']);
    expect(events[2]!.data).toMatchObject({ amount: '499.99', currency: 'GBP', fundsAvailable: true, fundsConfirmationId: covered.body.Data.FundsConfirmationId });
    expect(JSON.stringify(events)).not.toContain(debtor.Identification);
  });

  it('refuses a consent whose debtor account was changed in the database after approval with 400 U008, and asks nothing about the other account', async () => {
    const { consentId, psuToken } = await authorisedConsent();
    const [bob] = await fixtures.accountsOf('bob');
    await h.dataSource.query(`UPDATE payment_consent SET debtor_account_id = $2 WHERE consent_id = $1`, [consentId, bob!.accountId]);
    expectError(await confirm(psuToken, consentId, '1.00'), 400, 'U008', 'Data.ConsentId');
    expect(await count(`SELECT count(*)::int AS n FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'funds.confirmed'`, [consentId])).toBe(0);
    // Put back as approved, it answers again.
    await h.dataSource.query(`UPDATE payment_consent SET debtor_account_id = $2 WHERE consent_id = $1`, [consentId, debtor.accountId]);
    expect((await confirm(psuToken, consentId, '1.00')).status).toBe(201);
    // Its end is part of the approval too: extended in the database, the consent is refused.
    await h.dataSource.query(`UPDATE payment_consent SET expiration_date_time = now() + interval '3650 days' WHERE consent_id = $1`, [consentId]);
    expectError(await confirm(psuToken, consentId, '1.00'), 400, 'U008', 'Data.ConsentId');
  });

  it('takes only the PSU token of the consent the body names, with the fundsconfirmations scope and the CBPII role', async () => {
    const first = await authorisedConsent();
    const second = await authorisedConsent();
    expectError(await confirm(first.psuToken, second.consentId), 403, 'U042');
    expectError(await confirm(cc, first.consentId), 403, 'U042');
    expectError(await confirm(await h.consentToken(first.consentId, { scope: 'payments' }), first.consentId), 403, 'U042');
    // The consent resources take client credentials only, with the fundsconfirmations scope.
    expectError(await h.tpp('GET', `${CONSENTS}/${first.consentId}`, { token: first.psuToken }), 403, 'U042');
    expectError(await h.tpp('POST', CONSENTS, { token: await h.clientCredentialsToken({ scope: 'payments' }), body: consentBody() }), 403, 'U042');
    await h.dataSource.query(`UPDATE tpp SET roles = '{AISP,PISP}' WHERE client_id = $1`, [h.clientId]);
    try {
      expectError(await createConsent(), 403, 'U042');
      expectError(await confirm(await h.consentToken(first.consentId, { scope: 'fundsconfirmations' }), first.consentId), 403, 'U042');
    } finally {
      await h.dataSource.query(`UPDATE tpp SET roles = '{AISP,PISP,CBPII}' WHERE client_id = $1`, [h.clientId]);
    }
  });

  it('refuses the token of a consent never authorised with 403 U009', async () => {
    const created = await createConsent();
    const awaiting = jsonString(created.body.Data.ConsentId);
    expectError(await confirm(await h.consentToken(awaiting, { scope: 'fundsconfirmations' }), awaiting), 403, 'U009');
  });

  it('deletes a consent (CANC, audited, grant detached): its token is refused with 401 U006 and a second delete is 400 U009', async () => {
    const { consentId, psuToken } = await authorisedConsent();
    const deleted = await h.tpp('DELETE', `${CONSENTS}/${consentId}`, { token: cc });
    expect(deleted.status).toBe(204);
    const read = await h.tpp('GET', `${CONSENTS}/${consentId}`, { token: cc });
    expectCof('OBFundsConfirmationConsentResponse1', read.body);
    expect(read.body.Data.Status).toBe('CANC');
    expectError(await confirm(psuToken, consentId), 401, 'U006');
    expectError(await h.tpp('DELETE', `${CONSENTS}/${consentId}`, { token: cc }), 400, 'U009');
    expectError(await h.tpp('DELETE', `${CONSENTS}/pmc-00000000-0000-4000-8000-000000000000`, { token: cc }), 404, 'U011');
    const types: Array<{ type: string }> = await h.dataSource.query(`SELECT event->>'type' AS type FROM audit_outbox WHERE event->>'consentId' = $1`, [consentId]);
    expect(types.map((t) => t.type)).toContain('consent.revoked');
    expect(await count(`SELECT count(*)::int AS n FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'funds.confirmed'`, [consentId])).toBe(0);
  });

  it('refuses an expired consent at once, and the expiry sweep ends it EXPD with its grant', async () => {
    const { consentId, psuToken } = await authorisedConsent({ ExpirationDateTime: new Date(Date.now() + 3_600_000).toISOString() });
    await h.dataSource.query(`INSERT INTO oidc_model (model, id, payload, grant_id) VALUES ('AccessToken', $1, '{}'::jsonb, $2)`, [`at-${consentId}`, `grant-${consentId}`]);
    expect((await confirm(psuToken, consentId)).status).toBe(201);
    await h.dataSource.query(`UPDATE payment_consent SET expiration_date_time = now() - interval '1 second' WHERE consent_id = $1`, [consentId]);
    // Past its expiry, before the sweep has run: refused already.
    expectError(await confirm(await h.consentToken(consentId, { scope: 'fundsconfirmations' }), consentId), 403, 'U009');
    expect(await expirePaymentConsents(h.dataSource)).toBeGreaterThanOrEqual(1);
    const read = await h.tpp('GET', `${CONSENTS}/${consentId}`, { token: cc });
    expect(read.body.Data.Status).toBe('EXPD');
    expect(await count(`SELECT count(*)::int AS n FROM oidc_model WHERE grant_id = $1`, [`grant-${consentId}`])).toBe(0);
    const [event] = await h.dataSource.query(`SELECT event->'data' AS data FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'consent.expired'`, [consentId]);
    expect(event.data).toMatchObject({ kind: 'funds-confirmation', from: 'AUTH', to: 'EXPD', revokedGrantRecords: 1 });
    expectError(await confirm(await h.consentToken(consentId, { scope: 'fundsconfirmations' }), consentId), 403, 'U009');
  });

  it('ends a funds-confirmation consent left awaiting authorisation EXPD (a domestic one RJCT)', async () => {
    const created = await createConsent();
    const consentId = jsonString(created.body.Data.ConsentId);
    await h.dataSource.query(`UPDATE payment_consent SET creation_date_time = now() - interval '2 hours' WHERE consent_id = $1`, [consentId]);
    await rejectStalePaymentConsents(h.dataSource, { awaitingMaxAgeSeconds: 3600 });
    expect((await h.tpp('GET', `${CONSENTS}/${consentId}`, { token: cc })).body.Data.Status).toBe('EXPD');
  });

  it('refuses bad bodies with the field’s code and Path, and writes nothing', async () => {
    const { consentId, psuToken } = await authorisedConsent();
    const consentsBefore = await count(`SELECT count(*)::int AS n FROM payment_consent`);
    const eventsBefore = await count(`SELECT count(*)::int AS n FROM audit_outbox`);
    expectError(await h.tpp('POST', CONSENTS, { token: cc, body: { Data: {} } }), 400, 'U004', 'Data.DebtorAccount');
    expectError(await h.tpp('POST', CONSENTS, { token: cc, body: consentBody({ ExpirationDateTime: '2020-01-01T00:00:00+00:00' }) }), 400, 'U003', 'Data.ExpirationDateTime');
    expectError(await h.tpp('POST', CONSENTS, { token: cc, body: consentBody({ Surprise: 1 }) }), 400, 'U005');
    expectError(await h.tpp('POST', CONSENTS, { token: cc, body: { ...consentBody(), Risk: {} } }), 400, 'U005');
    const token = () => h.consentToken(consentId, { scope: 'fundsconfirmations' });
    expectError(
      await h.tpp('POST', CONFIRMATIONS, { token: await token(), body: { Data: { ConsentId: consentId, InstructedAmount: { Amount: '1.00', Currency: 'GBP' } } } }),
      400,
      'U004',
      'Data.Reference',
    );
    expectError(
      await h.tpp('POST', CONFIRMATIONS, { token: await token(), body: { Data: { ConsentId: consentId, Reference: 'R', InstructedAmount: { Amount: '1.123456', Currency: 'GBP' } } } }),
      400,
      'U002',
      'Data.InstructedAmount.Amount',
    );
    expectError(await confirm(psuToken, consentId, '0.00'), 400, 'U002', 'Data.InstructedAmount.Amount');
    expect(await count(`SELECT count(*)::int AS n FROM payment_consent`)).toBe(consentsBefore);
    expect(await count(`SELECT count(*)::int AS n FROM audit_outbox`)).toBe(eventsBefore);
  });
});
