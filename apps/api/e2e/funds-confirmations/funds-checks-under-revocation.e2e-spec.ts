import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult } from '../support/api-harness.js';
import { PaymentFixtures, PsuAccount } from '../support/payment-fixtures.js';

const CBPII = '/open-banking/v4.0/cbpii';
const PISP = '/open-banking/v4.0/pisp';

/**
 * A funds check in flight when its consent is revoked (PSD2 Art. 65 and 66: the PSU's withdrawal takes
 * effect for what follows). The check holds its consent's row share-locked from its last look at the
 * consent to its answer, so either it answers first, under a live consent, and the revocation is
 * answered after it (the audit log says so, in that order), or it waits for the revocation and is
 * refused. Until 7 December 2026 a check that had passed its guard asked the bank and answered
 * `FundsAvailable: true` after the TPP's DELETE (or the PSU's revoke) had answered 204.
 *
 * Each test stalls one step with a lock of its own, on a second connection, and waits until the API's
 * statements are seen waiting on it (pg_stat_activity), so the interleaving is the one the test names.
 */
describe('funds checks racing their consent’s revocation', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let alice: PsuAccount;
  let payee: PsuAccount;

  beforeAll(async () => {
    h = await ApiHarness.start('funds_checks_revocation');
    fixtures = await PaymentFixtures.of(h);
    [alice] = await fixtures.accountsOf('alice');
    [payee] = await fixtures.accountsOf('bob', 1, 'Bob');
    await fixtures.setBalance(alice!.accountId, '500.00');
  });
  afterAll(async () => h?.stop());

  /** A connection of the test's own, in a transaction, holding the lock `lockSql` takes until released. */
  async function holdLock(lockSql: string, params: unknown[] = []): Promise<{ release: (thenSql?: string, thenParams?: unknown[]) => Promise<void> }> {
    const blocker = new pg.Client({ connectionString: h.db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(lockSql, params);
    return {
      release: async (thenSql, thenParams) => {
        if (thenSql) await blocker.query(thenSql, thenParams);
        await blocker.query('COMMIT');
        await blocker.end();
      },
    };
  }

  /** Resolves once `count` of the API's statements wait on a lock (the test's or another request's). */
  async function waitersOnLocks(count: number): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      const [{ n }]: Array<{ n: number }> = await h.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (n >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`fewer than ${count} statements waited on a lock`);
  }

  async function auditTypes(consentId: string): Promise<string[]> {
    const rows: Array<{ type: string }> = await h.dataSource.query(`SELECT event->>'type' AS type FROM audit_outbox WHERE event->>'consentId' = $1 ORDER BY created_seq`, [consentId]);
    return rows.map((row) => row.type);
  }

  const confirm = (psuToken: string, consentId: string): Promise<CallResult> =>
    h.tpp('POST', `${CBPII}/funds-confirmations`, { token: psuToken, body: { Data: { ConsentId: consentId, Reference: 'R-1', InstructedAmount: { Amount: '1.00', Currency: 'GBP' } } } });

  it('answers a CoF check asked before the TPP deleted the consent, and the deletion after it', async () => {
    const cc = await h.clientCredentialsToken({ scope: 'fundsconfirmations' });
    const { consentId, psuToken } = await fixtures.fundsConfirmationConsent('alice', alice!);
    // The bank's balance read stalls: the check has looked at its consent and waits on the bank.
    const bank = await holdLock('LOCK TABLE balance IN ACCESS EXCLUSIVE MODE');
    let question: Promise<CallResult>;
    let deletion: Promise<CallResult>;
    try {
      question = confirm(psuToken, consentId);
      await waitersOnLocks(1);
      deletion = h.tpp('DELETE', `${CBPII}/funds-confirmation-consents/${consentId}`, { token: cc });
      // The deletion waits for the check's answer (it locks the consent's row to update it).
      await waitersOnLocks(2);
    } finally {
      await bank.release();
    }
    const [answer, deleted] = await Promise.all([question, deletion]);
    expect({ status: answer.status, available: answer.body.Data.FundsAvailable, deleted: deleted.status }).toEqual({ status: 201, available: true, deleted: 204 });
    expect(await auditTypes(consentId)).toEqual(['consent.created', 'consent.authorised', 'funds.confirmed', 'consent.revoked']);
    // And nothing after it.
    expect((await confirm(psuToken, consentId)).status).toBe(401);
  });

  it('refuses a CoF check that waited for a revocation, and asks the bank nothing', async () => {
    const { consentId, psuToken } = await fixtures.fundsConfirmationConsent('alice', alice!);
    // A revocation holds the consent's row: the check's guard has read it AUTH, its last look waits.
    const revocation = await holdLock(`SELECT 1 FROM payment_consent WHERE consent_id = $1 FOR UPDATE`, [consentId]);
    const question = confirm(psuToken, consentId);
    await waitersOnLocks(1);
    await revocation.release(`UPDATE payment_consent SET status = 'CANC', status_update_date_time = now() WHERE consent_id = $1`, [consentId]);
    const answer = await question;
    expect({ status: answer.status, code: answer.body.Errors?.[0]?.ErrorCode }).toEqual({ status: 403, code: 'U009' });
    expect(await auditTypes(consentId)).not.toContain('funds.confirmed');
  });

  it('refuses a VRP funds check that waited for the PSU’s revocation', async () => {
    const { consentId, psuToken } = await fixtures.vrpConsent('alice', alice!, payee!.account);
    const revocation = await holdLock(`SELECT 1 FROM payment_consent WHERE consent_id = $1 FOR UPDATE`, [consentId]);
    const question = h.signedPost(`${PISP}/domestic-vrp-consents/${consentId}/funds-confirmation`, {
      idempotencyKey: false,
      token: psuToken,
      body: { Data: { ConsentId: consentId, InstructedAmount: { Amount: '1.00', Currency: 'GBP' } } },
    });
    await waitersOnLocks(1);
    await revocation.release(`UPDATE payment_consent SET status = 'CANC', status_update_date_time = now() WHERE consent_id = $1`, [consentId]);
    const answer = await question;
    expect({ status: answer.status, code: answer.body.Errors?.[0]?.ErrorCode }).toEqual({ status: 400, code: 'U009' });
  });

  it('refuses a domestic payment consent’s funds check that waited for a revocation', async () => {
    const { consentId, psuToken } = await fixtures.domesticPaymentConsent('alice', alice!, payee!.account, '5.00', 'RACE-1');
    const revocation = await holdLock(`SELECT 1 FROM payment_consent WHERE consent_id = $1 FOR UPDATE`, [consentId]);
    const question = h.tpp('GET', `${PISP}/domestic-payment-consents/${consentId}/funds-confirmation`, { token: psuToken });
    await waitersOnLocks(1);
    await revocation.release(`UPDATE payment_consent SET status = 'RJCT', status_update_date_time = now() WHERE consent_id = $1`, [consentId]);
    const answer = await question;
    expect({ status: answer.status, code: answer.body.Errors?.[0]?.ErrorCode }).toEqual({ status: 400, code: 'U009' });
  });
});
