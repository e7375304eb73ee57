import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rest of the AIS ledger: beneficiaries, direct debits, standing orders, scheduled payments,
 * statements, parties (and which accounts they hold), products and offers. Every list is keyset-paged
 * by (account_id, <id>), so each table has that index. Creditor account numbers of scheme UK.OBIE.PAN
 * are stored encrypted, like the account's own PAN (PCI DSS req. 3).
 */
export class AisResources1764300000000 implements MigrationInterface {
  name = 'AisResources1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE beneficiary (
        beneficiary_id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES account (account_id),
        beneficiary_type text CHECK (beneficiary_type IN ('Trusted', 'Ordinary')),
        reference text,
        creditor_agent_scheme_name text,
        creditor_agent_identification text,
        creditor_scheme_name text NOT NULL,
        creditor_identification text NOT NULL,
        creditor_name text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX beneficiary_account_idx ON beneficiary (account_id, beneficiary_id)`);
    await q.query(`
      CREATE TABLE direct_debit (
        direct_debit_id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES account (account_id),
        status_code text NOT NULL CHECK (status_code IN ('ACTV', 'CANC', 'EXPI', 'SUSP')),
        mandate_identification text NOT NULL,
        frequency text NOT NULL,
        name text NOT NULL,
        previous_payment_date_time timestamptz,
        previous_payment_amount numeric(18,5),
        currency char(3) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX direct_debit_account_idx ON direct_debit (account_id, direct_debit_id)`);
    await q.query(`
      CREATE TABLE standing_order (
        standing_order_id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES account (account_id),
        status_code text NOT NULL CHECK (status_code IN ('ACTV', 'CANC', 'EXPI', 'SUSP')),
        frequency text NOT NULL,
        reference text,
        number_of_payments integer,
        first_payment_date_time timestamptz NOT NULL,
        next_payment_date_time timestamptz,
        last_payment_date_time timestamptz,
        final_payment_date_time timestamptz,
        amount numeric(18,5) NOT NULL,
        currency char(3) NOT NULL,
        creditor_scheme_name text NOT NULL,
        creditor_identification text NOT NULL,
        creditor_name text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX standing_order_account_idx ON standing_order (account_id, standing_order_id)`);
    await q.query(`
      CREATE TABLE scheduled_payment (
        scheduled_payment_id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES account (account_id),
        scheduled_payment_date_time timestamptz NOT NULL,
        scheduled_type text NOT NULL CHECK (scheduled_type IN ('Arrival', 'Execution')),
        reference text,
        debtor_reference text,
        amount numeric(18,5) NOT NULL,
        currency char(3) NOT NULL,
        creditor_scheme_name text NOT NULL,
        creditor_identification text NOT NULL,
        creditor_name text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX scheduled_payment_account_idx ON scheduled_payment (account_id, scheduled_payment_id)`);
    await q.query(`
      CREATE TABLE statement (
        statement_id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES account (account_id),
        statement_reference text,
        type text NOT NULL CHECK (type IN ('AccountClosure', 'AccountOpening', 'Annual', 'Interim', 'RegularPeriodic')),
        start_date_time timestamptz NOT NULL,
        end_date_time timestamptz NOT NULL,
        creation_date_time timestamptz NOT NULL,
        description text,
        opening_balance numeric(18,5) NOT NULL,
        closing_balance numeric(18,5) NOT NULL,
        total_credits numeric(18,5) NOT NULL,
        total_debits numeric(18,5) NOT NULL,
        currency char(3) NOT NULL,
        CHECK (start_date_time <= end_date_time)
      )`);
    await q.query(`CREATE INDEX statement_account_idx ON statement (account_id, statement_id)`);
    await q.query(`CREATE INDEX statement_account_end_idx ON statement (account_id, end_date_time)`);
    await q.query(`
      CREATE TABLE party (
        party_id text PRIMARY KEY,
        psu_id uuid REFERENCES psu (psu_id),
        party_number text,
        party_type text NOT NULL CHECK (party_type IN ('Delegate', 'Joint', 'Sole')),
        name text NOT NULL,
        full_legal_name text,
        email_address text,
        phone text,
        mobile text,
        street_name text,
        building_number text,
        post_code text,
        town_name text,
        country char(2)
      )`);
    await q.query(`CREATE INDEX party_psu_idx ON party (psu_id)`);
    await q.query(`
      CREATE TABLE account_party (
        account_id text NOT NULL REFERENCES account (account_id),
        party_id text NOT NULL REFERENCES party (party_id),
        account_role text NOT NULL,
        PRIMARY KEY (account_id, party_id)
      )`);
    await q.query(`
      CREATE TABLE product (
        product_id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES account (account_id),
        product_name text NOT NULL,
        product_type text NOT NULL CHECK (product_type IN ('BusinessCurrentAccount', 'CommercialCreditCard', 'Other', 'PersonalCurrentAccount', 'SMELoan')),
        secondary_product_id text,
        marketing_state_id text
      )`);
    await q.query(`CREATE INDEX product_account_idx ON product (account_id, product_id)`);
    await q.query(`
      CREATE TABLE offer (
        offer_id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES account (account_id),
        offer_type text NOT NULL CHECK (offer_type IN ('BalanceTransfer', 'LimitIncrease', 'MoneyTransfer', 'Other', 'PromotionalRate')),
        description text NOT NULL,
        start_date_time timestamptz,
        end_date_time timestamptz,
        rate text,
        term text,
        url text,
        amount numeric(18,5),
        fee numeric(18,5),
        currency char(3) NOT NULL
      )`);
    await q.query(`CREATE INDEX offer_account_idx ON offer (account_id, offer_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['offer', 'product', 'account_party', 'party', 'statement', 'scheduled_payment', 'standing_order', 'direct_debit', 'beneficiary']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
