import { MigrationInterface, QueryRunner } from 'typeorm';

/** Banks, PSUs and their ledger; TPPs, consents, oidc-provider storage; the audit outbox and the chained log. */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE aspsp (
        aspsp_id text PRIMARY KEY,
        name text NOT NULL,
        connector text NOT NULL DEFAULT 'sandbox-ledger',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE psu (
        psu_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL,
        display_name text NOT NULL,
        password_hash text NOT NULL,
        totp_secret_enc text NOT NULL,
        failed_login_count integer NOT NULL DEFAULT 0,
        locked_until timestamptz,
        last_totp_step bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT psu_username_key UNIQUE (username)
      )`);
    await q.query(`
      CREATE TABLE admin_user (
        admin_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL,
        password_hash text NOT NULL,
        totp_secret_enc text NOT NULL,
        failed_login_count integer NOT NULL DEFAULT 0,
        locked_until timestamptz,
        last_totp_step bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT admin_user_username_key UNIQUE (username)
      )`);
    await q.query(`
      CREATE TABLE account (
        account_id text PRIMARY KEY,
        aspsp_id text NOT NULL REFERENCES aspsp (aspsp_id),
        psu_id uuid NOT NULL REFERENCES psu (psu_id),
        status text NOT NULL DEFAULT 'Enabled',
        currency char(3) NOT NULL,
        account_category text NOT NULL,
        account_type_code text NOT NULL,
        description text,
        nickname text,
        opening_date date,
        scheme_name text NOT NULL,
        identification text NOT NULL,
        holder_name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX account_psu_idx ON account (psu_id)`);
    await q.query(`
      CREATE TABLE balance (
        balance_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id text NOT NULL REFERENCES account (account_id),
        type text NOT NULL,
        amount numeric(18,5) NOT NULL,
        currency char(3) NOT NULL,
        credit_debit_indicator text NOT NULL CHECK (credit_debit_indicator IN ('Credit', 'Debit')),
        date_time timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX balance_account_idx ON balance (account_id)`);
    await q.query(`
      CREATE TABLE transaction (
        transaction_id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES account (account_id),
        transaction_reference text,
        amount numeric(18,5) NOT NULL,
        currency char(3) NOT NULL,
        credit_debit_indicator text NOT NULL CHECK (credit_debit_indicator IN ('Credit', 'Debit')),
        status text NOT NULL,
        booking_date_time timestamptz NOT NULL,
        value_date_time timestamptz,
        transaction_information text,
        bank_transaction_code text,
        bank_transaction_sub_code text,
        merchant_name text,
        merchant_category_code text,
        balance_after_amount numeric(18,5)
      )`);
    await q.query(
      `CREATE INDEX transaction_account_booking_idx ON transaction (account_id, booking_date_time, transaction_id)`,
    );
    await q.query(`
      CREATE TABLE tpp (
        client_id text PRIMARY KEY,
        name text NOT NULL,
        roles text[] NOT NULL,
        status text NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Suspended')),
        client_metadata jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE account_access_consent (
        consent_id text PRIMARY KEY,
        client_id text NOT NULL REFERENCES tpp (client_id),
        psu_id uuid REFERENCES psu (psu_id),
        status text NOT NULL CHECK (status IN ('AWAU', 'AUTH', 'RJCT', 'CANC', 'EXPD')),
        status_reason text,
        status_reason_description text,
        permissions text[] NOT NULL,
        expiration_date_time timestamptz,
        transaction_from_date_time timestamptz,
        transaction_to_date_time timestamptz,
        creation_date_time timestamptz NOT NULL,
        status_update_date_time timestamptz NOT NULL,
        grant_id text,
        authorised_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX account_access_consent_client_idx ON account_access_consent (client_id, creation_date_time)`,
    );
    await q.query(`CREATE INDEX account_access_consent_psu_idx ON account_access_consent (psu_id)`);
    await q.query(`
      CREATE TABLE consent_account (
        consent_id text NOT NULL REFERENCES account_access_consent (consent_id) ON DELETE CASCADE,
        account_id text NOT NULL REFERENCES account (account_id),
        PRIMARY KEY (consent_id, account_id)
      )`);
    await q.query(`CREATE INDEX consent_account_account_idx ON consent_account (account_id)`);
    await q.query(`
      CREATE TABLE oidc_model (
        model text NOT NULL,
        id text NOT NULL,
        payload jsonb NOT NULL,
        grant_id text,
        uid text,
        user_code text,
        expires_at timestamptz,
        consumed_at timestamptz,
        PRIMARY KEY (model, id)
      )`);
    await q.query(`CREATE INDEX oidc_model_grant_idx ON oidc_model (grant_id)`);
    await q.query(`CREATE INDEX oidc_model_uid_idx ON oidc_model (uid)`);
    await q.query(`CREATE INDEX oidc_model_expires_idx ON oidc_model (expires_at)`);
    await q.query(`
      CREATE TABLE audit_outbox (
        event_id uuid PRIMARY KEY,
        created_seq bigint GENERATED ALWAYS AS IDENTITY,
        event jsonb NOT NULL,
        relayed_at timestamptz
      )`);
    await q.query(`CREATE INDEX audit_outbox_pending_idx ON audit_outbox (created_seq) WHERE relayed_at IS NULL`);
    await q.query(`
      CREATE TABLE audit_log (
        seq bigint PRIMARY KEY,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        client_id text,
        psu_id text,
        consent_id text,
        event jsonb NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        CONSTRAINT audit_log_event_key UNIQUE (event_id)
      )`);
    await q.query(`CREATE INDEX audit_log_occurred_idx ON audit_log (occurred_at)`);
    await q.query(`CREATE INDEX audit_log_consent_idx ON audit_log (consent_id)`);
    await q.query(`CREATE INDEX audit_log_client_idx ON audit_log (client_id)`);
    await q.query(`CREATE INDEX audit_log_psu_idx ON audit_log (psu_id)`);
    // The log is append-only even for whoever holds the application's credentials.
    await q.query(`
      CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'audit_log',
      'audit_outbox',
      'oidc_model',
      'consent_account',
      'account_access_consent',
      'tpp',
      'transaction',
      'balance',
      'account',
      'admin_user',
      'psu',
      'aspsp',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS audit_log_refuse_change()`);
  }
}
