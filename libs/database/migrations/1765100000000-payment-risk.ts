import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payment monitoring: one row per payment the risk engine scored (domestic, scheduled run, standing-order
 * run, VRP), with its decision and the rules that fired. The rows are also the state the rules read
 * (velocity windows, payees already paid), so each rule is one indexed lookup; a held payment's review
 * (held -> released / rejected / expired, with four-eyes' release-requested) lives on the same row.
 */
export class PaymentRisk1765100000000 implements MigrationInterface {
  name = 'PaymentRisk1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payment_risk_assessment (
        payment_id text PRIMARY KEY,
        payment_kind text NOT NULL,
        consent_id text NOT NULL,
        client_id text NOT NULL,
        psu_id text,
        debtor_account_id text NOT NULL,
        creditor_key text NOT NULL,
        amount numeric(18, 5) NOT NULL,
        currency char(3) NOT NULL,
        decision text NOT NULL CHECK (decision IN ('allow', 'hold', 'reject')),
        score integer NOT NULL,
        rules jsonb NOT NULL,
        assessed_at timestamptz NOT NULL,
        -- Whether the money went (allowed, or released): a payee is "known" to the account once paid.
        paid boolean NOT NULL DEFAULT false,
        review_status text CHECK (review_status IN ('held', 'release-requested', 'released', 'rejected', 'expired')),
        release_requested_by text,
        reviewed_by text,
        reviewed_at timestamptz,
        review_reason text
      )`);
    // Velocity per debtor account and per TPP in a sliding window.
    await q.query(`CREATE INDEX payment_risk_debtor_time_idx ON payment_risk_assessment (debtor_account_id, assessed_at)`);
    await q.query(`CREATE INDEX payment_risk_client_time_idx ON payment_risk_assessment (client_id, assessed_at)`);
    // New payee: has this account paid this creditor before.
    await q.query(`CREATE INDEX payment_risk_payee_idx ON payment_risk_assessment (debtor_account_id, creditor_key) WHERE paid`);
    // The review queue, oldest first, by keyset.
    await q.query(`CREATE INDEX payment_risk_review_queue_idx ON payment_risk_assessment (assessed_at, payment_id) WHERE review_status IN ('held', 'release-requested')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payment_risk_assessment`);
  }
}
