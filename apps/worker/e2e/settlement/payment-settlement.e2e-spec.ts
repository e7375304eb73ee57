import { standingOrderRunId } from '@consentry/database';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { workerTestConfig } from '../support/worker-test-config.js';

const WAIT = { timeout: 20_000, interval: 100 };

describe('payment settlement: the worker settles executed payments (ACSP -> ACSC)', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let worker: RunningWorker;

  beforeAll(async () => {
    db = await createTestDatabase('payment_settlement');
    redis = createTestRedis('payment-settlement');
    const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
    await q(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('tpp-s', 'TPP S', '{PISP}', '{}')`);
    await q(`INSERT INTO aspsp (aspsp_id, name) VALUES ('bank-s', 'Bank S')`);
    await q(`INSERT INTO psu (psu_id, username, display_name, password_hash, totp_secret_enc) VALUES ('00000000-0000-4000-8000-0000000000d1', 's1', 's1', 'h', 't')`);
    await q(
      `INSERT INTO account (account_id, aspsp_id, psu_id, currency, account_category, account_type_code, scheme_name, identification, holder_name)
       VALUES ('acc-s', 'bank-s', '00000000-0000-4000-8000-0000000000d1', 'GBP', 'Personal', 'CACC', 'UK.OBIE.SortCodeAccountNumber', '12345612345678', 'S')`,
    );
    for (const [n, status] of [
      [1, 'ACSP'],
      [2, 'ACSP'],
      [3, 'RJCT'],
    ] as const) {
      await q(
        `INSERT INTO payment_consent (consent_id, kind, client_id, status, initiation, risk, creation_date_time, status_update_date_time)
         VALUES ($1, 'domestic-payment', 'tpp-s', 'COND', '{}', '{}', now(), now())`,
        [`pmc-${n}`],
      );
      await q(
        `INSERT INTO domestic_payment (payment_id, consent_id, client_id, status, initiation, debtor_account_id, creation_date_time, status_update_date_time)
         VALUES ($1, $2, 'tpp-s', $3, '{}', 'acc-s', now(), now())`,
        [`dp-${n}`, `pmc-${n}`, status],
      );
    }
    // A VRP consent's many payments settle alike.
    await q(
      `INSERT INTO payment_consent (consent_id, kind, client_id, status, initiation, control_parameters, risk, creation_date_time, status_update_date_time)
       VALUES ('pmc-vrp', 'domestic-vrp', 'tpp-s', 'AUTH', '{}', '{}', '{}', now(), now())`,
    );
    for (const [n, status] of [
      [1, 'ACSP'],
      [2, 'RJCT'],
    ] as const) {
      await q(
        `INSERT INTO vrp_payment (payment_id, consent_id, client_id, status, vrp_type, amount, currency, initiation, instruction, risk,
                                  psu_authentication_method, debtor_account_id, creation_date_time, status_update_date_time)
         VALUES ($1, 'pmc-vrp', 'tpp-s', $2, 'UK.OBIE.VRPType.Other', 5, 'GBP', '{}', '{}', '{}', 'UK.OBIE.SCA', 'acc-s', now(), now())`,
        [`vrp-${n}`, status],
      );
    }
    // A standing order's runs settle alike, named after their order.
    await q(
      `INSERT INTO payment_consent (consent_id, kind, client_id, status, initiation, risk, creation_date_time, status_update_date_time)
       VALUES ('pmc-so', 'domestic-standing-order', 'tpp-s', 'COND', '{}', '{}', now(), now())`,
    );
    await q(
      `INSERT INTO domestic_standing_order (standing_order_id, consent_id, client_id, status, initiation, debtor_account_id, next_run_index, creation_date_time, status_update_date_time)
       VALUES ('dso-1', 'pmc-so', 'tpp-s', 'PDNG', '{}', 'acc-s', 2, now(), now())`,
    );
    for (const [n, status] of [
      [0, 'ACSP'],
      [1, 'RJCT'],
    ] as const) {
      await q(
        `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, status_update_date_time)
         VALUES ('dso-1', $1, $2, now(), 10, 'GBP', $3, now())`,
        [n, standingOrderRunId('dso-1', n), status],
      );
    }
    worker = await startWorker(
      workerTestConfig(db, redis),
    );
  });

  afterAll(async () => {
    await worker?.close();
    await db?.drop();
    await redis?.cleanup();
  });

  it('settles ACSP payments, VRPs and standing-order runs once, leaves rejected ones, and chains one payment.status-changed each', async () => {
    await vi.waitFor(async () => {
      const [row] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE event_type = 'payment.status-changed'`);
      expect(row.n).toBe(4);
    }, WAIT);
    const rows: Array<{ payment_id: string; status: string }> = await db.dataSource.query(`SELECT payment_id, status FROM domestic_payment ORDER BY payment_id`);
    expect(rows).toEqual([
      { payment_id: 'dp-1', status: 'ACSC' },
      { payment_id: 'dp-2', status: 'ACSC' },
      { payment_id: 'dp-3', status: 'RJCT' },
    ]);
    const events: Array<{ data: Record<string, unknown> }> = await db.dataSource.query(
      `SELECT event->'data' AS data FROM audit_log WHERE event_type = 'payment.status-changed' ORDER BY event->'data'->>'paymentId'`,
    );
    expect(events.map((e) => e.data)).toEqual([
      { paymentId: 'dp-1', from: 'ACSP', to: 'ACSC' },
      { paymentId: 'dp-2', from: 'ACSP', to: 'ACSC' },
      { paymentId: 'dso-1-run-0', kind: 'domestic-standing-order', run: 0, from: 'ACSP', to: 'ACSC' },
      { paymentId: 'vrp-1', from: 'ACSP', to: 'ACSC' },
    ]);
    const runs: Array<{ payment_id: string; status: string }> = await db.dataSource.query(`SELECT payment_id, status FROM standing_order_run ORDER BY run_index`);
    expect(runs).toEqual([
      { payment_id: 'dso-1-run-0', status: 'ACSC' },
      { payment_id: 'dso-1-run-1', status: 'RJCT' },
    ]);
    const vrps: Array<{ payment_id: string; status: string }> = await db.dataSource.query(`SELECT payment_id, status FROM vrp_payment ORDER BY payment_id`);
    expect(vrps).toEqual([
      { payment_id: 'vrp-1', status: 'ACSC' },
      { payment_id: 'vrp-2', status: 'RJCT' },
    ]);
  });
});
