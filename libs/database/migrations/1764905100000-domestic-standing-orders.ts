import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * UK OB v4.0 domestic standing orders: the order a PSU-authorised standing order consent becomes (one per
 * consent). v4.0 statuses (ExternalPaymentTransactionStatus1Code): PDNG while runs remain (v3's
 * InitiationPending), INCO when the last has run, CANC when the PSU cancels, RJCT/INFA on failure.
 * `next_run_index`/`next_run_at` are the worker's cursor: the due runs are selected on the partial index.
 */
export class DomesticStandingOrders1764905100000 implements MigrationInterface {
  name = 'DomesticStandingOrders1764905100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE domestic_standing_order (
        standing_order_id text PRIMARY KEY,
        consent_id text NOT NULL UNIQUE REFERENCES payment_consent (consent_id),
        client_id text NOT NULL,
        psu_id text,
        status text NOT NULL CHECK (status IN ('PDNG', 'INCO', 'CANC', 'RJCT', 'INFA')),
        initiation jsonb NOT NULL,
        debtor_account_id text NOT NULL REFERENCES account (account_id),
        next_run_index integer NOT NULL DEFAULT 0 CHECK (next_run_index >= 0),
        next_run_at timestamptz,
        creation_date_time timestamptz NOT NULL,
        status_update_date_time timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX domestic_standing_order_due_idx ON domestic_standing_order (next_run_at, standing_order_id) WHERE status = 'PDNG'`);
    // One row per run: its primary key is what makes a run paid at most once (the worker inserts it first).
    await q.query(`
      CREATE TABLE standing_order_run (
        standing_order_id text NOT NULL REFERENCES domestic_standing_order (standing_order_id),
        run_index integer NOT NULL CHECK (run_index >= 0),
        payment_id text NOT NULL UNIQUE,
        due_at timestamptz NOT NULL,
        amount numeric(18,5) NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        status text NOT NULL,
        status_reason text,
        ledger_transaction_id text,
        status_update_date_time timestamptz NOT NULL,
        PRIMARY KEY (standing_order_id, run_index)
      )`);
    await q.query(`CREATE INDEX domestic_standing_order_client_idx ON domestic_standing_order (client_id, creation_date_time)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS standing_order_run`);
    await q.query(`DROP TABLE IF EXISTS domestic_standing_order`);
  }
}
