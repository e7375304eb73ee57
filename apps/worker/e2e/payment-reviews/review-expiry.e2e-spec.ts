import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EnvironmentKeyManagement } from '@consentry/identity';
import { seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { approvalSealOf } from '../support/approval-seal.js';
import { workerTestConfig } from '../support/worker-test-config.js';

const SECRETS_KEY = Buffer.alloc(32, 0x4d);
const WAIT = { timeout: 20_000, interval: 100 };
const MINUTE = 60_000;

// 1000.00 or more to a payee the account never paid is held (the sandbox's new-payee rule).
const RULES = `
thresholds: { hold: 50, reject: 100 }
rules:
  - name: large-payment-to-new-payee
    kind: new-payee
    params: { minAmount: "1000.00" }
    weight: 50
    action: hold
`;

/**
 * The worker scores a scheduled payment when it runs (held: PDNG, no debit), and its review-expiry job
 * rejects a hold nobody reviewed within REVIEW_TIMEOUT_MINUTES, by the clock the test gives it.
 */
describe('payment reviews: the worker holds a scheduled run and expires an unreviewed hold', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let worker: RunningWorker;
  let dir: string;
  let debtor: string;
  const due = new Date(Date.now() + 60 * MINUTE);
  let now = new Date();

  const payment = async (): Promise<{ status: string; status_reason: string | null }> =>
    (await db.dataSource.query(`SELECT status, status_reason FROM domestic_payment WHERE payment_id = 'dsp-held-1'`))[0];
  const available = async (): Promise<string> =>
    (await db.dataSource.query(`SELECT amount::text AS amount FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [debtor]))[0].amount;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'consentry-review-expiry-'));
    await writeFile(join(dir, 'rules.yaml'), RULES);
    db = await createTestDatabase('review_expiry');
    redis = createTestRedis('review-expiry');
    const sandbox = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(SECRETS_KEY), seed: 5, transactionsPerAccount: 2 });
    const [account] = await db.dataSource.query(
      `SELECT a.account_id, a.psu_id FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = 'alice' AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' ORDER BY a.account_id LIMIT 1`,
    );
    debtor = account.account_id;
    await db.dataSource.query(`UPDATE balance SET amount = 5000, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [debtor]);
    const initiation = {
      InstructionIdentification: 'I-H1',
      EndToEndIdentification: 'H1',
      RequestedExecutionDateTime: due.toISOString(),
      InstructedAmount: { Amount: '1200.00', Currency: 'GBP' },
      CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400499998888', Name: 'New Builder' },
    };
    await db.dataSource.query(
      `INSERT INTO payment_consent (consent_id, kind, client_id, psu_id, status, initiation, risk, debtor_account_id, initiation_hash, creation_date_time, status_update_date_time)
       VALUES ('pmc-held-1', 'domestic-scheduled-payment', $1, $2, 'COND', $3::jsonb, '{}', $4, $5, now(), now())`,
      [
        sandbox.tpp.client_id,
        account.psu_id,
        JSON.stringify(initiation),
        debtor,
        approvalSealOf(SECRETS_KEY, { consentId: 'pmc-held-1', clientId: sandbox.tpp.client_id, psuId: account.psu_id, debtorAccountId: debtor, kind: 'domestic-scheduled-payment', initiation }),
      ],
    );
    await db.dataSource.query(
      `INSERT INTO domestic_payment (payment_id, consent_id, client_id, status, initiation, debtor_account_id, requested_execution_date_time, creation_date_time, status_update_date_time)
       VALUES ('dsp-held-1', 'pmc-held-1', $1, 'PDNG', $2::jsonb, $3, $4, now(), now())`,
      [sandbox.tpp.client_id, JSON.stringify(initiation), debtor, due],
    );
    worker = await startWorker(
      workerTestConfig(db, redis, {
        SECRETS_KEY: SECRETS_KEY.toString('base64'),
        SCHEDULED_PAYMENT_INTERVAL_MS: '100',
        RISK_RULES_FILE: join(dir, 'rules.yaml'),
        RISK_DENY_LIST_FILE: join(dir, 'deny-list.json'),
        REVIEW_TIMEOUT_MINUTES: '30',
      }),
      { clock: () => now },
    );
  });

  afterAll(async () => {
    await worker?.close();
    await db?.drop();
    await redis?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds the scheduled run (PDNG, no debit), keeps it through the timeout, then rejects it FR01 with payment.review.expired', async () => {
    now = new Date(due.getTime() + 1_000);
    await vi.waitFor(async () => {
      const [row] = await db.dataSource.query(`SELECT decision, review_status FROM payment_risk_assessment WHERE payment_id = 'dsp-held-1'`);
      expect(row).toEqual({ decision: 'hold', review_status: 'held' });
    }, WAIT);
    // Runs of both jobs go by within the timeout: still held, never debited.
    now = new Date(due.getTime() + 29 * MINUTE);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await payment()).toEqual({ status: 'PDNG', status_reason: null });
    expect(await available()).toBe('5000.00000');

    now = new Date(due.getTime() + 31 * MINUTE);
    await vi.waitFor(async () => expect(await payment()).toEqual({ status: 'RJCT', status_reason: 'FR01' }), { timeout: 90_000, interval: 200 });
    expect(await available()).toBe('5000.00000');
    await vi.waitFor(async () => {
      const events = await db.dataSource.query(
        `SELECT event_type AS type, event->'actor'->>'type' AS actor FROM audit_log WHERE event->'data'->>'paymentId' = 'dsp-held-1' ORDER BY seq`,
      );
      expect(events).toEqual([
        { type: 'payment.risk-assessed', actor: 'system' },
        { type: 'payment.review.expired', actor: 'system' },
        { type: 'payment.status-changed', actor: 'system' },
      ]);
    }, WAIT);
    // The sweep also folds the review queue's rule statistics: the hold counted, its expiry no review.
    await vi.waitFor(async () => {
      const tally = await db.dataSource.query(
        `SELECT rule_name, fired::int, held::int, reviewed::int, (SELECT count(*)::int FROM risk_rule_tally_change) AS waiting FROM risk_rule_tally`,
      );
      expect(tally).toEqual([{ rule_name: 'large-payment-to-new-payee', fired: 1, held: 1, reviewed: 0, waiting: 0 }]);
    }, WAIT);
    // The PSU was told of the hold, and of its end: stopped, with no money gone (once each).
    await vi.waitFor(async () => {
      const alerts = await db.dataSource.query(
        `SELECT p.kind, a.event_type AS source FROM psu_alert p JOIN audit_log a ON a.event_id = p.source_event_id
          WHERE a.event->'data'->>'paymentId' = 'dsp-held-1' ORDER BY a.seq`,
      );
      expect(alerts).toEqual([
        { kind: 'payment-held', source: 'payment.risk-assessed' },
        { kind: 'payment-rejected', source: 'payment.review.expired' },
      ]);
    }, WAIT);
  });
});
