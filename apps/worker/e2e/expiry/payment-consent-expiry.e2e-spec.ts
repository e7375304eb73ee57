import { verifyAuditChain } from '@consentry/audit';
import { CreatePaymentConsent } from '@consentry/consents';
import { JsonObject, PaymentConsentKind } from '@consentry/database';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { CONSENT_EXPIRY_QUEUE, CONSENT_EXPIRY_SCHEDULER_ID } from '../../src/expiry/consent-expiry.jobs.js';
import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { workerTestConfig } from '../support/worker-test-config.js';

const WAIT = { timeout: 20_000, interval: 50 };
const CLIENT = 'tpp-pay-expiry';
const PSU = '00000000-0000-4000-8000-0000000000e1';
const DEBTOR = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '60606012345678', Name: 'Holder' };
const PAYEE = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678', Name: 'Payee Ltd' };
const MINUTE = 60_000;
const DAY = 86_400_000;
/** The grant's rows the authorization server would hold for an approved consent: the grant and its tokens. */
const GRANT_RECORDS = ['AccessToken', 'Grant', 'RefreshToken'];

interface ConsentRow {
  consent_id: string;
  status: string;
  status_update_date_time: Date;
  grant_id: string | null;
}

/** What each kind is created with, as the API stores it (only what the approval reads matters here). */
function termsOf(kind: PaymentConsentKind, end: Date | undefined): { initiation: JsonObject; controlParameters?: JsonObject } {
  const money = { Amount: '12.00', Currency: 'GBP' };
  switch (kind) {
    case 'domestic-payment':
      return { initiation: { InstructionIdentification: 'I-1', EndToEndIdentification: 'E2E-1', InstructedAmount: money, CreditorAccount: PAYEE } };
    case 'domestic-scheduled-payment':
      return {
        initiation: {
          InstructionIdentification: 'I-2',
          EndToEndIdentification: 'E2E-2',
          RequestedExecutionDateTime: new Date(Date.now() + 7 * DAY).toISOString(),
          InstructedAmount: money,
          CreditorAccount: PAYEE,
        },
      };
    case 'domestic-standing-order':
      return {
        initiation: {
          NumberOfPayments: '3',
          FirstPaymentAmount: money,
          RecurringPaymentAmount: money,
          CreditorAccount: PAYEE,
          MandateRelatedInformation: { Frequency: { Type: 'WEEK' }, FirstPaymentDateTime: new Date(Date.now() + 7 * DAY).toISOString() },
        },
      };
    case 'domestic-vrp':
      return {
        initiation: { CreditorAccount: PAYEE },
        controlParameters: {
          VRPType: ['UK.OBIE.VRPType.Other'],
          PSUAuthenticationMethods: ['UK.OBIE.SCA'],
          MaximumIndividualAmount: { Amount: '50.00', Currency: 'GBP' },
          PeriodicLimits: [{ PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '200.00', Currency: 'GBP' }],
          ...(end ? { ValidToDateTime: end.toISOString() } : {}),
        },
      };
    case 'funds-confirmation':
      return { initiation: { DebtorAccount: DEBTOR } };
  }
}

/**
 * The worker's consent-expiry job, as its BullMQ job scheduler fires, ends payment consents by their kind's
 * rules (libs/consents/src/consent-status.ts): a stale AWAU domestic, scheduled or standing-order consent
 * becomes RJCT (those kinds have no EXPD); VRP and funds-confirmation consents become EXPD when left AWAU
 * as long, or once their end (ExpirationDateTime, a VRP's ValidToDateTime) has passed, their grant and
 * tokens deleted. One audit event per ended consent, chained by the worker; later runs change nothing.
 */
describe('consent expiry: payment consents ended by the worker’s sweep', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let worker: RunningWorker;
  let eventsConnection: Redis;
  let queueEvents: QueueEvents;
  const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
  /** Consent ids by role in the scenario. */
  const ids: Record<string, string> = {};
  /** Events recorded while seeding (consent.created): chained too. */
  let seededEvents = 0;

  async function created(kind: PaymentConsentKind, options: { end?: Date; stale?: boolean } = {}): Promise<string> {
    const { initiation, controlParameters } = termsOf(kind, options.end);
    const consent = await new CreatePaymentConsent(db.dataSource).execute({ clientId: CLIENT, kind, initiation, controlParameters, expirationDateTime: options.end, risk: {} });
    seededEvents += 1;
    // Left waiting longer than CONSENT_AWAITING_MAX_AGE_SECONDS (one hour below).
    if (options.stale) await q(`UPDATE payment_consent SET creation_date_time = now() - interval '2 hours' WHERE consent_id = $1`, [consent.consentId]);
    return consent.consentId;
  }

  /**
   * Approved by the PSU, with the grant and tokens oidc-provider keeps for it (live a day, so the oidc purge
   * leaves them). The approval is written as a row, as the other worker specs seed theirs: the sweep reads
   * only the status, the end and the grant, never the approval's seal.
   */
  async function authorised(kind: PaymentConsentKind, options: { end?: Date; stale?: boolean } = {}): Promise<string> {
    const consentId = await created(kind, options);
    const grantId = `grant-${consentId}`;
    await q(`INSERT INTO oidc_model (model, id, payload, expires_at) VALUES ('Grant', $1, '{}', now() + interval '1 day')`, [grantId]);
    for (const model of ['AccessToken', 'RefreshToken']) {
      await q(`INSERT INTO oidc_model (model, id, payload, grant_id, expires_at) VALUES ($1, $2, '{}', $3, now() + interval '1 day')`, [model, `${model}-${consentId}`, grantId]);
    }
    await q(
      `UPDATE payment_consent SET status = 'AUTH', psu_id = $2, debtor_account_id = 'acc-expiry', grant_id = $3, authorised_at = now(), status_update_date_time = now()
        WHERE consent_id = $1 AND status = 'AWAU'`,
      [consentId, PSU, grantId],
    );
    return consentId;
  }

  const statusOf = async (consentId: string): Promise<string> => ((await q(`SELECT status FROM payment_consent WHERE consent_id = $1`, [consentId])) as ConsentRow[])[0]!.status;
  const grantRecordsOf = async (consentId: string): Promise<string[]> =>
    ((await q(`SELECT model FROM oidc_model WHERE grant_id = $1 OR (model = 'Grant' AND id = $1) ORDER BY model`, [`grant-${consentId}`])) as Array<{ model: string }>).map(
      (row) => row.model,
    );
  const byConsent = (a: { consent_id: string }, b: { consent_id: string }) => (a.consent_id < b.consent_id ? -1 : a.consent_id > b.consent_id ? 1 : 0);
  const chainedEndings = async (): Promise<Array<{ consent_id: string; event_type: string; data: JsonObject }>> =>
    ((await q(
      `SELECT consent_id, event_type, event->'data' AS data FROM audit_log WHERE event_type IN ('consent.rejected', 'consent.expired', 'consent.revoked')`,
    )) as Array<{ consent_id: string; event_type: string; data: JsonObject }>).sort(byConsent);
  /** Resolves once `count` more runs of the expiry sweep (not the oidc purge) have completed. */
  const sweeps = (count: number): Promise<void> =>
    new Promise((resolve) => {
      let seen = 0;
      const onCompleted = ({ jobId }: { jobId: string }) => {
        if (!jobId.startsWith(`repeat:${CONSENT_EXPIRY_SCHEDULER_ID}:`)) return;
        seen += 1;
        if (seen < count) return;
        queueEvents.off('completed', onCompleted);
        resolve();
      };
      queueEvents.on('completed', onCompleted);
    });

  beforeAll(async () => {
    db = await createTestDatabase('payment_consent_expiry');
    redis = createTestRedis('payment-consent-expiry');
    await q(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ($1, 'Pay TPP', '{PISP,CBPII}', '{}')`, [CLIENT]);
    await q(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ('bank-x', 'Bank X', 'sandbox-ledger')`);
    await q(`INSERT INTO psu (psu_id, username, display_name, password_hash, totp_secret_enc) VALUES ($1, 'x1', 'x1', 'h', 't')`, [PSU]);
    await q(
      `INSERT INTO account (account_id, aspsp_id, psu_id, currency, account_category, account_type_code, scheme_name, identification, holder_name)
       VALUES ('acc-expiry', 'bank-x', $1, 'GBP', 'Personal', 'CACC', $2, $3, 'Holder')`,
      [PSU, DEBTOR.SchemeName, DEBTOR.Identification],
    );
    const past = new Date(Date.now() - MINUTE);
    const future = new Date(Date.now() + DAY);
    // Waiting for the PSU: domestic kinds have no EXPD, so a stale one is RJCT; VRP and CoF ones EXPD.
    ids.staleDomestic = await created('domestic-payment', { stale: true });
    ids.staleScheduled = await created('domestic-scheduled-payment', { stale: true });
    ids.staleStandingOrder = await created('domestic-standing-order', { stale: true });
    ids.staleVrp = await created('domestic-vrp', { stale: true });
    ids.staleCof = await created('funds-confirmation', { stale: true, end: future });
    ids.freshDomestic = await created('domestic-payment');
    ids.freshVrp = await created('domestic-vrp', { end: future });
    // Authorised: an old domestic approval waits for its order, whatever its age.
    ids.oldAuthDomestic = await authorised('domestic-payment', { stale: true });
    // The API refuses an end already past at creation: these stand for consents whose end passed while AUTH.
    ids.endedVrp = await authorised('domestic-vrp', { end: past });
    ids.endedCof = await authorised('funds-confirmation', { end: past });
    ids.liveVrp = await authorised('domestic-vrp', { end: future });
    ids.openVrp = await authorised('domestic-vrp');
    ids.liveCof = await authorised('funds-confirmation', { end: future });

    const config = workerTestConfig(db, redis, {
      CONSENT_EXPIRY_INTERVAL_MS: '200',
      CONSENT_AWAITING_MAX_AGE_SECONDS: '3600',
      ALERT_INTERVAL_MS: '100',
    });
    eventsConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
    queueEvents = new QueueEvents(CONSENT_EXPIRY_QUEUE, { connection: eventsConnection, prefix: redis.prefix });
    await queueEvents.waitUntilReady();
    worker = await startWorker(config);
  });

  afterAll(async () => {
    await worker?.close();
    await queueEvents?.close();
    eventsConnection?.disconnect();
    await db?.drop();
    await redis?.cleanup();
  });

  it('rejects a stale AWAU domestic, scheduled or standing-order consent (RJCT), expires a stale VRP or CoF one, and leaves fresh ones AWAU', async () => {
    // One sweep ends each kind in a transaction of its own: wait for the last.
    await vi.waitFor(async () => {
      expect(await statusOf(ids.staleDomestic!)).toBe('RJCT');
      expect(await statusOf(ids.staleScheduled!)).toBe('RJCT');
      expect(await statusOf(ids.staleStandingOrder!)).toBe('RJCT');
      expect(await statusOf(ids.staleVrp!)).toBe('EXPD');
      expect(await statusOf(ids.staleCof!)).toBe('EXPD');
    }, WAIT);
    expect(await statusOf(ids.freshDomestic!)).toBe('AWAU');
    expect(await statusOf(ids.freshVrp!)).toBe('AWAU');
    expect(await statusOf(ids.oldAuthDomestic!)).toBe('AUTH');
    expect(await grantRecordsOf(ids.oldAuthDomestic!)).toEqual(GRANT_RECORDS);
    const [row] = await q(`SELECT status_reason_description FROM payment_consent WHERE consent_id = $1`, [ids.staleDomestic]);
    expect(row).toEqual({ status_reason_description: 'Rejected: not authorised in time' });
  });

  it('expires an AUTH VRP and an AUTH CoF consent past their end (EXPD), deletes their grant and tokens, and leaves unexpired ones AUTH', async () => {
    await vi.waitFor(async () => {
      expect(await statusOf(ids.endedVrp!)).toBe('EXPD');
      expect(await statusOf(ids.endedCof!)).toBe('EXPD');
    }, WAIT);
    // The sweep deletes the grant's rows in oidc_model (the consent keeps naming the grant, which no longer exists).
    expect(await grantRecordsOf(ids.endedVrp!)).toEqual([]);
    expect(await grantRecordsOf(ids.endedCof!)).toEqual([]);
    const ended: Array<{ status_reason_description: string }> = await q(
      `SELECT status_reason_description FROM payment_consent WHERE consent_id = ANY ($1::text[])`,
      [[ids.endedVrp, ids.endedCof]],
    );
    expect(ended).toEqual([{ status_reason_description: 'Expired: past its ExpirationDateTime' }, { status_reason_description: 'Expired: past its ExpirationDateTime' }]);
    for (const live of [ids.liveVrp!, ids.openVrp!, ids.liveCof!]) {
      expect(await statusOf(live)).toBe('AUTH');
      expect(await grantRecordsOf(live)).toEqual(GRANT_RECORDS);
    }
  });

  it('chains exactly one consent.rejected or consent.expired per ended consent, none for the others, and the chain verifies', async () => {
    const expected = [
      { consent_id: ids.endedCof!, event_type: 'consent.expired', data: { kind: 'funds-confirmation', from: 'AUTH', to: 'EXPD', revokedGrantRecords: 3 } },
      { consent_id: ids.endedVrp!, event_type: 'consent.expired', data: { kind: 'domestic-vrp', from: 'AUTH', to: 'EXPD', revokedGrantRecords: 3 } },
      { consent_id: ids.staleCof!, event_type: 'consent.expired', data: { kind: 'funds-confirmation', from: 'AWAU', to: 'EXPD' } },
      { consent_id: ids.staleDomestic!, event_type: 'consent.rejected', data: { kind: 'domestic-payment', from: 'AWAU', to: 'RJCT' } },
      { consent_id: ids.staleScheduled!, event_type: 'consent.rejected', data: { kind: 'domestic-scheduled-payment', from: 'AWAU', to: 'RJCT' } },
      { consent_id: ids.staleStandingOrder!, event_type: 'consent.rejected', data: { kind: 'domestic-standing-order', from: 'AWAU', to: 'RJCT' } },
      { consent_id: ids.staleVrp!, event_type: 'consent.expired', data: { kind: 'domestic-vrp', from: 'AWAU', to: 'EXPD' } },
    ].sort(byConsent);
    await vi.waitFor(async () => expect(await chainedEndings()).toHaveLength(expected.length), WAIT);
    expect(await chainedEndings()).toEqual(expected.map((event) => expect.objectContaining({ ...event, data: expect.objectContaining(event.data) })));
    // The worker's PSU alerts follow the chain: a consent.expired naming a PSU (the two that were AUTH)
    // gets its alert.recorded, chained too; the stale AWAU ones name no PSU.
    const expiredWithPsu: Array<{ event_id: string }> = await q(
      `SELECT event_id FROM audit_log WHERE event_type = 'consent.expired' AND consent_id = ANY ($1::text[]) ORDER BY event_id`,
      [[ids.endedVrp, ids.endedCof]],
    );
    await vi.waitFor(async () => {
      const alerts: Array<{ source: string }> = await q(`SELECT event->'data'->>'sourceEventId' AS source FROM audit_log WHERE event_type = 'alert.recorded' ORDER BY 1`);
      expect(alerts.map((alert) => alert.source)).toEqual(expiredWithPsu.map((event) => event.event_id));
    }, WAIT);
    const chain: Array<{ event_type: string; n: number }> = await q(`SELECT event_type, count(*)::int AS n FROM audit_log GROUP BY event_type ORDER BY event_type`);
    expect(chain).toEqual([
      { event_type: 'alert.recorded', n: 2 },
      { event_type: 'consent.created', n: seededEvents },
      { event_type: 'consent.expired', n: 4 },
      { event_type: 'consent.rejected', n: 3 },
    ]);
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: seededEvents + expected.length + 2 });
  });

  it('changes nothing on later runs of the sweep', async () => {
    const snapshot = async () => ({
      consents: (await q(`SELECT consent_id, status, status_update_date_time, grant_id FROM payment_consent ORDER BY consent_id`)) as ConsentRow[],
      oidcRows: (await q(`SELECT model, id FROM oidc_model ORDER BY model, id`)) as Array<{ model: string; id: string }>,
      chained: ((await q(`SELECT count(*)::int AS n FROM audit_log`)) as Array<{ n: number }>)[0]!.n,
    });
    const before = await snapshot();
    // Three more completed runs of the real job, each of which would end anything still due.
    await sweeps(3);
    // Give the relay time to chain anything those runs might have recorded.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await snapshot()).toEqual(before);
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: before.chained });
  });
});
