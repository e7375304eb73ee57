import { DataSource, JsonObject } from '@consentry/database';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuthorisePaymentConsent } from './authorise-payment-consent.use-case.js';
import { RevokePaymentConsent } from './revoke-payment-consent.use-case.js';
import { ConsentExceptionCode } from './consent.exception.js';
import { consumePaymentConsent } from './consume-payment-consent.js';
import { PaymentApprovalSeal } from './payment-approval-seal.js';
import { CreatePaymentConsent } from './create-payment-consent.use-case.js';
import { EndConsentOfRevokedGrant } from './end-account-access-consent.use-case.js';
import { RejectPaymentConsent, rejectStalePaymentConsents } from './reject-payment-consent.use-case.js';

const PSU = '00000000-0000-4000-8000-0000000000c1';
const OTHER_PSU = '00000000-0000-4000-8000-0000000000c2';
const CLIENT = 'tpp-pay';

const initiation: JsonObject = {
  InstructionIdentification: 'INSTR-1',
  EndToEndIdentification: 'E2E-1',
  InstructedAmount: { Amount: '12.00', Currency: 'GBP' },
  CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678', Name: 'Payee Ltd' },
};

const approvals = new PaymentApprovalSeal([{ kid: 'test', key: Buffer.alloc(32, 7) }]);

function consume(dataSource: DataSource, consentId: string, ordered: JsonObject = initiation) {
  return dataSource.transaction((manager) => consumePaymentConsent(manager, approvals, { consentId, clientId: CLIENT, kind: 'domestic-payment', initiation: ordered, risk: {} }));
}

describe('payment consent lifecycle', () => {
  let db: TestDatabase;
  const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
  const statusOf = async (id: string) => ((await q(`SELECT status FROM payment_consent WHERE consent_id = $1`, [id]))[0] as { status: string }).status;
  let create: CreatePaymentConsent;
  let authorise: AuthorisePaymentConsent;

  beforeAll(async () => {
    db = await createTestDatabase('payment_consent_lifecycle');
    create = new CreatePaymentConsent(db.dataSource);
    authorise = new AuthorisePaymentConsent(db.dataSource, approvals, 3600);
    await q(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ($1, 'Pay TPP', '{PISP}', '{}')`, [CLIENT]);
    await q(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ('bank-p', 'Bank P', 'sandbox-ledger')`);
    for (const [id, name] of [
      [PSU, 'p1'],
      [OTHER_PSU, 'p2'],
    ]) {
      await q(`INSERT INTO psu (psu_id, username, display_name, password_hash, totp_secret_enc) VALUES ($1, $2, $2, 'h', 't')`, [id, name]);
    }
    const account = (id: string, psu: string, currency: string, scheme: string, identification: string) =>
      q(
        `INSERT INTO account (account_id, aspsp_id, psu_id, currency, account_category, account_type_code, scheme_name, identification, holder_name)
         VALUES ($1, 'bank-p', $2, $3, 'Personal', 'CACC', $4, $5, 'Holder')`,
        [id, psu, currency, scheme, identification],
      );
    await account('acc-gbp', PSU, 'GBP', 'UK.OBIE.SortCodeAccountNumber', '11111111111111');
    await account('acc-eur', PSU, 'EUR', 'UK.OBIE.IBAN', 'GB00TEST11111111111111');
    await account('acc-other', OTHER_PSU, 'GBP', 'UK.OBIE.SortCodeAccountNumber', '22222222222222');
  }, 120_000);
  afterAll(async () => db?.drop());

  async function created(body: JsonObject = initiation): Promise<string> {
    return (await create.execute({ clientId: CLIENT, kind: 'domestic-payment', initiation: body, risk: {} })).consentId;
  }

  async function authorised(): Promise<string> {
    const consentId = await created();
    await authorise.execute({ consentId, clientId: CLIENT, psuId: PSU, debtorAccountId: 'acc-gbp', grantId: `grant-${consentId}` });
    return consentId;
  }

  /** A funds-confirmation consent on acc-gbp, ending in a minute. */
  async function fundsConfirmation(): Promise<string> {
    const created = await create.execute({
      clientId: CLIENT,
      kind: 'funds-confirmation',
      initiation: { DebtorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '11111111111111' } },
      risk: {},
      expirationDateTime: new Date(Date.now() + 60_000),
    });
    return created.consentId;
  }

  it('goes AWAU -> AUTH -> COND, with an audit event at each step', async () => {
    const consentId = await created();
    expect(await statusOf(consentId)).toBe('AWAU');
    await authorise.execute({ consentId, clientId: CLIENT, psuId: PSU, debtorAccountId: 'acc-gbp', grantId: 'g1' });
    expect(await statusOf(consentId)).toBe('AUTH');
    await consume(db.dataSource, consentId);
    expect(await statusOf(consentId)).toBe('COND');
    const events: Array<{ type: string }> = await q(`SELECT event->>'type' AS type FROM audit_outbox WHERE event->>'consentId' = $1 ORDER BY event->>'occurredAt'`, [consentId]);
    expect(events.map((e) => e.type)).toEqual(['consent.created', 'consent.authorised', 'consent.consumed']);
  });

  it('pays once: a second use of the consent is InvalidStatus (U009)', async () => {
    const consentId = await authorised();
    await consume(db.dataSource, consentId);
    await expect(consume(db.dataSource, consentId)).rejects.toMatchObject({ code: ConsentExceptionCode.InvalidStatus });
  });

  it('refuses an order whose Initiation is not the consent’s (U008), and leaves the consent AUTH', async () => {
    const consentId = await authorised();
    const changed = { ...initiation, InstructedAmount: { Amount: '12.01', Currency: 'GBP' } };
    await expect(consume(db.dataSource, consentId, changed)).rejects.toMatchObject({ code: ConsentExceptionCode.ConsentMismatch, path: 'Data.Initiation' });
    expect(await statusOf(consentId)).toBe('AUTH');
  });

  it('refuses a consent whose row was changed after approval, even when the order matches the changed row', async () => {
    const consentId = await authorised();
    await q(`UPDATE payment_consent SET initiation = jsonb_set(initiation, '{CreditorAccount,Identification}', '"99999999999999"') WHERE consent_id = $1`, [consentId]);
    const tampered = { ...initiation, CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '99999999999999', Name: 'Payee Ltd' } };
    await expect(consume(db.dataSource, consentId, tampered)).rejects.toMatchObject({ code: ConsentExceptionCode.ConsentMismatch, path: 'Data.ConsentId' });
  });

  it('refuses a debtor account that is not the PSU’s, in another currency, or not the one the TPP named', async () => {
    const consentId = await created();
    const attempt = (debtorAccountId: string) => authorise.execute({ consentId, clientId: CLIENT, psuId: PSU, debtorAccountId, grantId: 'g' });
    await expect(attempt('acc-other')).rejects.toMatchObject({ code: ConsentExceptionCode.AccountNotOwned });
    await expect(attempt('acc-eur')).rejects.toMatchObject({ code: ConsentExceptionCode.DebtorAccountUnfit });
    const named = await created({ ...initiation, DebtorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '33333333333333' } });
    await expect(authorise.execute({ consentId: named, clientId: CLIENT, psuId: PSU, debtorAccountId: 'acc-gbp', grantId: 'g' })).rejects.toMatchObject({
      code: ConsentExceptionCode.DebtorAccountUnfit,
    });
    expect(await statusOf(consentId)).toBe('AWAU');
  });

  it('detaches the grant of a payment consent whose code was replayed, so none of its tokens pass', async () => {
    const consentId = await authorised();
    const ended = await new EndConsentOfRevokedGrant(db.dataSource).execute({ grantId: `grant-${consentId}`, trigger: 'authorization_code_replayed' });
    expect(ended).toBe(consentId);
    const [row] = await q(`SELECT status, grant_id FROM payment_consent WHERE consent_id = $1`, [consentId]);
    // A domestic consent has no CANC: it stays AUTH, bound to no grant.
    expect(row).toEqual({ status: 'AUTH', grant_id: null });
  });

  it('refuses to authorise a consent whose end passed while the PSU approved it, before the sweep ends it', async () => {
    // Until 7 December 2026 it became AUTH, with its grant and consent.authorised, until the sweep made it EXPD.
    const consentId = await fundsConfirmation();
    await q(`UPDATE payment_consent SET expiration_date_time = now() - interval '1 second' WHERE consent_id = $1`, [consentId]);
    await expect(authorise.execute({ consentId, clientId: CLIENT, psuId: PSU, debtorAccountId: 'acc-gbp', grantId: `grant-${consentId}` })).rejects.toMatchObject({ code: 'Expired' });
    expect(await statusOf(consentId)).toBe('AWAU');
    expect(await q(`SELECT 1 FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'consent.authorised'`, [consentId])).toEqual([]);
  });

  it('refuses to authorise a consent left AWAU longer than CONSENT_AWAITING_MAX_AGE_SECONDS, before the sweep ends it', async () => {
    // Until 7 December 2026 it became AUTH in the minute (or longer, with no worker) before the sweep.
    const stale = await created();
    const justInTime = await created();
    await q(`UPDATE payment_consent SET creation_date_time = now() - interval '3600 seconds' WHERE consent_id = $1`, [stale]);
    await q(`UPDATE payment_consent SET creation_date_time = now() - interval '3590 seconds' WHERE consent_id = $1`, [justInTime]);
    await expect(authorise.execute({ consentId: stale, clientId: CLIENT, psuId: PSU, debtorAccountId: 'acc-gbp', grantId: `grant-${stale}` })).rejects.toMatchObject({ code: 'Expired' });
    expect(await statusOf(stale)).toBe('AWAU');
    expect(await q(`SELECT 1 FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'consent.authorised'`, [stale])).toEqual([]);
    await authorise.execute({ consentId: justInTime, clientId: CLIENT, psuId: PSU, debtorAccountId: 'acc-gbp', grantId: `grant-${justInTime}` });
    expect(await statusOf(justInTime)).toBe('AUTH');
  });

  it('tells the PSU a consent past its end has ended rather than revoke it; the TPP may still delete it', async () => {
    const consentId = await fundsConfirmation();
    await authorise.execute({ consentId, clientId: CLIENT, psuId: PSU, debtorAccountId: 'acc-gbp', grantId: `grant-${consentId}` });
    await q(`UPDATE payment_consent SET expiration_date_time = now() - interval '1 second' WHERE consent_id = $1`, [consentId]);
    const revoke = new RevokePaymentConsent(db.dataSource);
    // Until 7 December 2026 it became CANC "Revoked by the PSU".
    await expect(revoke.execute({ consentId, by: { type: 'psu', psuId: PSU } })).rejects.toMatchObject({ code: 'InvalidStatus' });
    expect(await statusOf(consentId)).toBe('AUTH');
    await revoke.execute({ consentId, by: { type: 'tpp', clientId: CLIENT } });
    expect(await statusOf(consentId)).toBe('CANC');
  });

  it('is rejected by the PSU (RJCT) and cannot be authorised afterwards', async () => {
    const consentId = await created();
    await new RejectPaymentConsent(db.dataSource).execute({ consentId, psuId: PSU });
    expect(await statusOf(consentId)).toBe('RJCT');
    await expect(authorise.execute({ consentId, clientId: CLIENT, psuId: PSU, debtorAccountId: 'acc-gbp', grantId: 'g' })).rejects.toMatchObject({
      code: ConsentExceptionCode.InvalidStatus,
    });
  });

  it('rejects stale AWAU domestic consents (they have no EXPD) and leaves fresh and authorised ones', async () => {
    const stale = await created();
    const fresh = await created();
    const auth = await authorised();
    await q(`UPDATE payment_consent SET creation_date_time = now() - interval '2 hours' WHERE consent_id = ANY($1::text[])`, [[stale, auth]]);
    const ended = await rejectStalePaymentConsents(db.dataSource, { awaitingMaxAgeSeconds: 3600 });
    expect(ended).toBeGreaterThanOrEqual(1);
    expect(await statusOf(stale)).toBe('RJCT');
    expect(await statusOf(fresh)).toBe('AWAU');
    expect(await statusOf(auth)).toBe('AUTH');
    const [event] = await q(`SELECT event FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'consent.rejected'`, [stale]);
    expect(event.event.data).toMatchObject({ from: 'AWAU', to: 'RJCT' });
  });
});
