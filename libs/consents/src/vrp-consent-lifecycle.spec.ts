import { JsonObject } from '@consentry/database';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuthorisePaymentConsent } from './authorise-payment-consent.use-case.js';
import { ConsentExceptionCode } from './consent.exception.js';
import { insertPayer } from './payer.spec-support.js';
import { CreatePaymentConsent } from './create-payment-consent.use-case.js';
import { PaymentApprovalSeal } from './payment-approval-seal.js';
import { approvedTerms } from './payment-initiation.js';
import { rejectStalePaymentConsents } from './reject-payment-consent.use-case.js';
import { expirePaymentConsents } from './end-payment-consent.use-case.js';
import { RevokePaymentConsent } from './revoke-payment-consent.use-case.js';
import { lockVrpConsent, vrpLimitsRead } from './use-vrp-consent.js';

const PSU = '00000000-0000-4000-8000-0000000000d1';
const OTHER_PSU = '00000000-0000-4000-8000-0000000000d2';
const CLIENT = 'tpp-vrp';
const approvals = new PaymentApprovalSeal([{ kid: 'test', key: Buffer.alloc(32, 7) }]);

const controlParameters: JsonObject = {
  VRPType: ['UK.OBIE.VRPType.Other'],
  PSUAuthenticationMethods: ['UK.OBIE.SCA'],
  MaximumIndividualAmount: { Amount: '10.00', Currency: 'GBP' },
  PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '50.00', Currency: 'GBP' }],
};

describe('VRP consent lifecycle', () => {
  let db: TestDatabase;
  const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
  const statusOf = async (id: string) => ((await q(`SELECT status FROM payment_consent WHERE consent_id = $1`, [id]))[0] as { status: string }).status;

  beforeAll(async () => {
    db = await createTestDatabase('vrp_consent_lifecycle');
    await insertPayer(db, { clientId: CLIENT, aspspId: 'bank-v', psuId: PSU, username: 'v1', accountId: 'vacc-gbp', identification: '55555555555555' });
    await q(`INSERT INTO psu (psu_id, username, display_name, password_hash, totp_secret_enc) VALUES ($1, 'v2', 'v2', 'h', 't')`, [OTHER_PSU]);
  });
  afterAll(async () => db?.drop());

  async function created(validTo?: Date): Promise<string> {
    const params = validTo ? { ...controlParameters, ValidToDateTime: validTo.toISOString() } : controlParameters;
    const consent = await new CreatePaymentConsent(db.dataSource).execute({ clientId: CLIENT, kind: 'domestic-vrp', initiation: {}, controlParameters: params, expirationDateTime: validTo, risk: {} });
    return consent.consentId;
  }

  async function authorised(validTo?: Date): Promise<string> {
    const consentId = await created(validTo);
    await q(`INSERT INTO oidc_model (model, id, payload, grant_id, expires_at) VALUES ('Grant', $1, '{}', NULL, now() + interval '1 day')`, [`grant-${consentId}`]);
    await new AuthorisePaymentConsent(db.dataSource, approvals, 3600).execute({ consentId, clientId: CLIENT, psuId: PSU, debtorAccountId: 'vacc-gbp', grantId: `grant-${consentId}` });
    return consentId;
  }

  it('stores the ControlParameters apart from the Initiation, and binds the approval’s seal to them', async () => {
    const consentId = await authorised();
    const [row] = await q(`SELECT kind, status, control_parameters, initiation_hash, creation_date_time FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(row).toMatchObject({ kind: 'domestic-vrp', status: 'AUTH', control_parameters: controlParameters });
    const terms = (params: JsonObject, creationDateTime: Date = row.creation_date_time) =>
      approvedTerms({ kind: 'domestic-vrp', initiation: {}, controlParameters: params, creationDateTime, expirationDateTime: null });
    const approval = (params: JsonObject) => ({ consentId, clientId: CLIENT, psuId: PSU, debtorAccountId: 'vacc-gbp', terms: terms(params) });
    expect(approvals.holds(row.initiation_hash, approval(controlParameters))).toBe(true);
    const raised = { ...controlParameters, MaximumIndividualAmount: { Amount: '99.00', Currency: 'GBP' } };
    expect(approvals.holds(row.initiation_hash, approval(raised))).toBe(false);
    // Where its Consent-aligned periods start is sealed too: a creation moved later would open a new period.
    const moved = { consentId, clientId: CLIENT, psuId: PSU, debtorAccountId: 'vacc-gbp', terms: terms(controlParameters, new Date(row.creation_date_time.getTime() + 86_400_000)) };
    expect(approvals.holds(row.initiation_hash, moved)).toBe(false);
  });

  it('is revoked by its PSU or its TPP only (CANC), with its grant deleted, and once', async () => {
    const consentId = await authorised();
    const revoke = new RevokePaymentConsent(db.dataSource);
    await expect(revoke.execute({ consentId, by: { type: 'psu', psuId: OTHER_PSU } })).rejects.toMatchObject({ code: ConsentExceptionCode.NotFound });
    await expect(revoke.execute({ consentId, by: { type: 'tpp', clientId: 'another-tpp' } })).rejects.toMatchObject({ code: ConsentExceptionCode.NotFound });
    await revoke.execute({ consentId, by: { type: 'psu', psuId: PSU } });
    expect(await statusOf(consentId)).toBe('CANC');
    expect(await q(`SELECT 1 FROM oidc_model WHERE model = 'Grant' AND id = $1`, [`grant-${consentId}`])).toHaveLength(0);
    await expect(revoke.execute({ consentId, by: { type: 'psu', psuId: PSU } })).rejects.toMatchObject({ code: ConsentExceptionCode.InvalidStatus });
    const [event] = await q(`SELECT event FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'consent.revoked'`, [consentId]);
    expect(event.event.data).toMatchObject({ kind: 'domestic-vrp', from: 'AUTH', to: 'CANC' });
  });

  it('expires an authorised VRP consent at its ValidToDateTime (EXPD, grant deleted) and leaves the others', async () => {
    const ending = await authorised(new Date(Date.now() + 60_000));
    const lasting = await authorised(new Date(Date.now() + 86_400_000));
    const open = await authorised();
    const expired = await expirePaymentConsents(db.dataSource, { now: new Date(Date.now() + 120_000) });
    expect(expired).toBe(1);
    expect(await statusOf(ending)).toBe('EXPD');
    expect(await statusOf(lasting)).toBe('AUTH');
    expect(await statusOf(open)).toBe('AUTH');
    expect(await q(`SELECT 1 FROM oidc_model WHERE model = 'Grant' AND id = $1`, [`grant-${ending}`])).toHaveLength(0);
    const [event] = await q(`SELECT event FROM audit_outbox WHERE event->>'consentId' = $1 AND event->>'type' = 'consent.expired'`, [ending]);
    expect(event.event.data).toMatchObject({ kind: 'domestic-vrp', from: 'AUTH', to: 'EXPD' });
  });

  it('expires a stale AWAU VRP consent (EXPD, where a domestic one is RJCT)', async () => {
    const stale = await created();
    await q(`UPDATE payment_consent SET creation_date_time = now() - interval '2 hours' WHERE consent_id = $1`, [stale]);
    await rejectStalePaymentConsents(db.dataSource, { awaitingMaxAgeSeconds: 3600 });
    expect(await statusOf(stale)).toBe('EXPD');
  });

  describe('the periodic limits, from running totals per London day', () => {
    let n = 0;
    async function vrp(consentId: string, amount: string, at: Date, status = 'PDNG'): Promise<string> {
      n += 1;
      const paymentId = `vrp-total-${n}`;
      await q(
        `INSERT INTO vrp_payment (payment_id, consent_id, client_id, status, vrp_type, amount, currency, initiation, instruction, risk,
                                  psu_authentication_method, debtor_account_id, creation_date_time, status_update_date_time)
         VALUES ($1, $2, $3, $4, 'UK.OBIE.VRPType.Other', $5, 'GBP', '{}', '{}', '{}', 'UK.OBIE.SCA', 'vacc-gbp', $6, $6)`,
        [paymentId, consentId, CLIENT, status, amount, at],
      );
      return paymentId;
    }
    const recount = (consentId: string) =>
      q(
        `SELECT (creation_date_time AT TIME ZONE 'Europe/London')::date::text AS day, sum(amount)::text AS amount FROM vrp_payment
          WHERE consent_id = $1 AND status <> 'RJCT' GROUP BY 1 ORDER BY 1`,
        [consentId],
      );
    const totals = (consentId: string) =>
      q(`SELECT london_day::text AS day, amount::text AS amount FROM vrp_consent_day_total WHERE consent_id = $1 AND amount <> 0 ORDER BY 1`, [consentId]);
    // A VRP of 10.00 checked against the consent's limits at `at`, as the API checks it: the consent
    // locked, then its limits read in a statement of its own (after the lock), then checked.
    const use = (consentId: string, at: Date) =>
      db.dataSource.transaction(async (manager) => {
        const payment = {
          consentId,
          clientId: CLIENT,
          initiation: {},
          vrpType: 'UK.OBIE.VRPType.Other',
          amount: '10.00',
          currency: 'GBP',
          creditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '11111122222222' },
          at,
        };
        const limits = vrpLimitsRead(await lockVrpConsent(manager, approvals, payment), payment);
        const [row] = await manager.query(`SELECT ${limits.select}`, limits.values);
        return { refused: limits.check(row) };
      });

    it('keeps each London day’s total of the payments that count, whatever path rejects one, and agrees with a recount', async () => {
      const consentId = await authorised();
      // 23:30 UTC on 1 July is 00:30 on 2 July in London (BST).
      await vrp(consentId, '10.00', new Date('2026-07-01T22:30:00Z'));
      await vrp(consentId, '5.50', new Date('2026-07-01T23:30:00Z'));
      const rejectedLater = await vrp(consentId, '7.25', new Date('2026-07-02T12:00:00Z'));
      await vrp(consentId, '9.00', new Date('2026-07-02T13:00:00Z'), 'RJCT');
      const settled = await vrp(consentId, '1.00', new Date('2026-07-02T14:00:00Z'));
      await q(`UPDATE vrp_payment SET status = 'RJCT' WHERE payment_id = $1`, [rejectedLater]);
      await q(`UPDATE vrp_payment SET status = 'ACSP' WHERE payment_id = $1`, [settled]);
      await q(`UPDATE vrp_payment SET status = 'ACSC' WHERE payment_id = $1`, [settled]);
      expect(await totals(consentId)).toEqual([
        { day: '2026-07-01', amount: '10.00000' },
        { day: '2026-07-02', amount: '6.50000' },
      ]);
      expect(await totals(consentId)).toEqual(await recount(consentId));
      // A bulk rejection (the review timeout's) takes every one off.
      await q(`UPDATE vrp_payment SET status = 'RJCT' WHERE consent_id = $1`, [consentId]);
      expect(await totals(consentId)).toEqual([]);
    });

    it('refuses a VRP that would pass the Month limit, counting every payment but the rejected ones, and allows it once one is rejected', async () => {
      const consentId = await authorised();
      const now = new Date();
      const paid = [];
      for (let i = 0; i < 4; i += 1) paid.push(await vrp(consentId, '10.00', now));
      await vrp(consentId, '10.00', now, 'RJCT');
      // 40 counted, 10 more reaches the 50.00 limit exactly: allowed.
      expect((await use(consentId, now)).refused).toBeNull();
      await vrp(consentId, '10.00', now);
      expect((await use(consentId, now)).refused).toMatchObject({ parameter: 'PeriodicLimits' });
      await q(`UPDATE vrp_payment SET status = 'RJCT' WHERE payment_id = $1`, [paid[0]]);
      expect((await use(consentId, now)).refused).toBeNull();
    });
  });
});
