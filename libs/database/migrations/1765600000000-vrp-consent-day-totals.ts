import { MigrationInterface, QueryRunner } from 'typeorm';

// A VRP's London day: every VRP period (libs/consents' vrpPeriodAt) is a run of whole London days.
const LONDON_DAY = (instant: string): string => `(${instant} AT TIME ZONE 'Europe/London')::date`;

/**
 * Running totals of each VRP consent's payments that count against its periodic limits (every VRP but
 * a rejected one), per London day. The control-parameter check sums at most a period's days, not every
 * payment of the period: its cost stays flat however many VRPs a consent makes.
 *
 * The totals are kept by triggers on `vrp_payment`, in the statement that writes the payment, so no
 * path that inserts or rejects a VRP (the API, an admin's review, the worker's review timeout) can leave
 * them behind: an insert adds its amount unless it is rejected already; a change to or from RJCT takes
 * it off or puts it back. The WHEN conditions keep every other update (ACSP, a hold) free of them.
 */
export class VrpConsentDayTotals1765600000000 implements MigrationInterface {
  name = 'VrpConsentDayTotals1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE vrp_consent_day_total (
        consent_id text NOT NULL,
        london_day date NOT NULL,
        amount numeric(18, 5) NOT NULL,
        PRIMARY KEY (consent_id, london_day)
      )`);
    await q.query(`
      INSERT INTO vrp_consent_day_total (consent_id, london_day, amount)
      SELECT consent_id, ${LONDON_DAY('creation_date_time')}, sum(amount) FROM vrp_payment WHERE status <> 'RJCT' GROUP BY 1, 2`);
    await q.query(`
      CREATE FUNCTION vrp_consent_day_total_add() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        delta numeric := CASE WHEN TG_OP = 'UPDATE' AND NEW.status = 'RJCT' THEN -NEW.amount ELSE NEW.amount END;
      BEGIN
        INSERT INTO vrp_consent_day_total AS t (consent_id, london_day, amount)
        VALUES (NEW.consent_id, ${LONDON_DAY('NEW.creation_date_time')}, delta)
        ON CONFLICT (consent_id, london_day) DO UPDATE SET amount = t.amount + EXCLUDED.amount;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER vrp_payment_counted AFTER INSERT ON vrp_payment
        FOR EACH ROW WHEN (NEW.status <> 'RJCT') EXECUTE FUNCTION vrp_consent_day_total_add()`);
    await q.query(`
      CREATE TRIGGER vrp_payment_rejected_or_restored AFTER UPDATE OF status ON vrp_payment
        FOR EACH ROW WHEN ((OLD.status = 'RJCT') IS DISTINCT FROM (NEW.status = 'RJCT')) EXECUTE FUNCTION vrp_consent_day_total_add()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER vrp_payment_rejected_or_restored ON vrp_payment`);
    await q.query(`DROP TRIGGER vrp_payment_counted ON vrp_payment`);
    await q.query(`DROP FUNCTION vrp_consent_day_total_add()`);
    await q.query(`DROP TABLE vrp_consent_day_total`);
  }
}
