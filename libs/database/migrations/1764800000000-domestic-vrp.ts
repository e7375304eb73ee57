import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * UK OB v4.0 domestic VRP. A VRP consent is a `payment_consent` of kind `domestic-vrp`: its
 * Initiation (debtor and creditor) stays in `initiation`, its ControlParameters in `control_parameters`,
 * and its ValidToDateTime in `expiration_date_time` (the expiry sweep ends it EXPD then). Many payments
 * run under one consent: `vrp_payment` has no UNIQUE consent, and keeps each payment's amount as a
 * column so the periodic limits are summed in SQL on the (consent, time) index, under the consent's lock.
 */
export class DomesticVrp1764800000000 implements MigrationInterface {
  name = 'DomesticVrp1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_consent DROP CONSTRAINT payment_consent_kind_check`);
    await q.query(`ALTER TABLE payment_consent ADD CONSTRAINT payment_consent_kind_check CHECK (kind IN ('domestic-payment', 'funds-confirmation', 'domestic-vrp'))`);
    await q.query(`ALTER TABLE payment_consent ADD COLUMN control_parameters jsonb`);
    await q.query(`ALTER TABLE payment_consent ADD CONSTRAINT payment_consent_vrp_parameters_check CHECK ((kind = 'domestic-vrp') = (control_parameters IS NOT NULL))`);
    // The expiry sweep's scan of authorised consents past their end (VRP: ValidToDateTime).
    // The expiry sweep's index (payment_consent_expiring_idx) comes with the funds-confirmation migration.
    await q.query(`
      CREATE TABLE vrp_payment (
        payment_id text PRIMARY KEY,
        consent_id text NOT NULL REFERENCES payment_consent (consent_id),
        client_id text NOT NULL,
        status text NOT NULL,
        status_reason text,
        status_reason_description text,
        vrp_type text NOT NULL,
        amount numeric(18,5) NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        initiation jsonb NOT NULL,
        instruction jsonb NOT NULL,
        risk jsonb NOT NULL,
        psu_authentication_method text NOT NULL,
        psu_interaction_type text,
        debtor_account_id text NOT NULL REFERENCES account (account_id),
        ledger_transaction_id text,
        creation_date_time timestamptz NOT NULL,
        status_update_date_time timestamptz NOT NULL
      )`);
    // Periodic limits: the consent's payments since the earliest period start.
    await q.query(`CREATE INDEX vrp_payment_consent_idx ON vrp_payment (consent_id, creation_date_time)`);
    await q.query(`CREATE INDEX vrp_payment_client_idx ON vrp_payment (client_id, creation_date_time)`);
    // The worker's settlement scan (ACSP -> ACSC).
    await q.query(`CREATE INDEX vrp_payment_unsettled_idx ON vrp_payment (status_update_date_time) WHERE status = 'ACSP'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS vrp_payment`);
    await q.query(`ALTER TABLE payment_consent DROP CONSTRAINT IF EXISTS payment_consent_vrp_parameters_check`);
    await q.query(`ALTER TABLE payment_consent DROP COLUMN IF EXISTS control_parameters`);
    await q.query(`DELETE FROM payment_consent WHERE kind = 'domestic-vrp'`);
    await q.query(`ALTER TABLE payment_consent DROP CONSTRAINT payment_consent_kind_check`);
    await q.query(`ALTER TABLE payment_consent ADD CONSTRAINT payment_consent_kind_check CHECK (kind IN ('domestic-payment', 'funds-confirmation'))`);
  }
}
