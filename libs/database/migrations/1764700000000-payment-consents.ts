import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payment initiation (UK OB v4.0 PIS). One table for every consent that moves or checks money
 * (`payment_consent`, with its `kind`): domestic payments now; scheduled payments, standing orders, VRP
 * and confirmation of funds later, each a new `kind` value with the same lifecycle columns, so
 * revocation, introspection, expiry and the API's checks read one table. The consent's Initiation (or
 * a VRP's ControlParameters) is kept as received, in `initiation`; `initiation_hash` binds the PSU's
 * approval to it (PSD2 RTS Art. 5, dynamic linking). Each kind of payment order has its own table
 * (`domestic_payment` now), whose rows reference the consent. Accounts gain the overdraft limit the
 * ledger's atomic debit checks against.
 */
export class PaymentConsents1764700000000 implements MigrationInterface {
  name = 'PaymentConsents1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE account ADD COLUMN overdraft_limit numeric(18,5) NOT NULL DEFAULT 0 CHECK (overdraft_limit >= 0)`);
    await q.query(`
      CREATE TABLE payment_consent (
        consent_id text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('domestic-payment')),
        client_id text NOT NULL,
        psu_id uuid,
        status text NOT NULL CHECK (status IN ('AWAU', 'AUTH', 'COND', 'RJCT', 'CANC', 'EXPD')),
        status_reason text,
        status_reason_description text,
        initiation jsonb NOT NULL,
        risk jsonb NOT NULL,
        read_refund_account text,
        debtor_account_id text REFERENCES account (account_id),
        initiation_hash text,
        grant_id text,
        authorised_at timestamptz,
        expiration_date_time timestamptz,
        creation_date_time timestamptz NOT NULL,
        status_update_date_time timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX payment_consent_client_idx ON payment_consent (client_id, creation_date_time)`);
    await q.query(`CREATE INDEX payment_consent_psu_idx ON payment_consent (psu_id)`);
    // The expiry sweep's scan of stale AWAU consents.
    await q.query(`CREATE INDEX payment_consent_awaiting_idx ON payment_consent (creation_date_time) WHERE status = 'AWAU'`);
    await q.query(`
      CREATE TABLE domestic_payment (
        payment_id text PRIMARY KEY,
        -- A domestic consent pays once: the second payment finds this taken (U009).
        consent_id text NOT NULL UNIQUE REFERENCES payment_consent (consent_id),
        client_id text NOT NULL,
        status text NOT NULL,
        status_reason text,
        status_reason_description text,
        initiation jsonb NOT NULL,
        debtor_account_id text NOT NULL REFERENCES account (account_id),
        ledger_transaction_id text,
        creation_date_time timestamptz NOT NULL,
        status_update_date_time timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX domestic_payment_client_idx ON domestic_payment (client_id, creation_date_time)`);
    // The worker's settlement scan (ACSP -> ACSC).
    await q.query(`CREATE INDEX domestic_payment_unsettled_idx ON domestic_payment (status_update_date_time) WHERE status = 'ACSP'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS domestic_payment`);
    await q.query(`DROP TABLE IF EXISTS payment_consent`);
    await q.query(`ALTER TABLE account DROP COLUMN IF EXISTS overdraft_limit`);
  }
}
