import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How a standing order ends, once no run is left (OB_Internal_CodeSet, ExternalPaymentTransactionStatus1Code):
 * `INFA` (InitiationFailed: "set up successfully but the individual payment has failed") when its last run
 * was rejected (`RJCT`: the funds, the bank or the risk engine), else `INCO` (InitiationCompleted). Until
 * 8 December 2026 an order read `INCO` whatever its last run's outcome.
 *
 * The rule is here, in the database, because a last run is decided on more than one path: the worker's run
 * (the order goes `PDNG` -> `INCO` right after its last run's outcome, in the same transaction: the
 * order's trigger reads that outcome), and later, for a last run held for review or stranded at its bank
 * while the order already reads `INCO`, an administrator's rejection, the review's expiry or the re-drive's
 * answer (the run's trigger turns the order `INFA` then). A cancelled last run (the PSU's) is not a failure.
 */
export class StandingOrderFailedEnd1766010000000 implements MigrationInterface {
  name = 'StandingOrderFailedEnd1766010000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION standing_order_ends() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM standing_order_run r
                    WHERE r.standing_order_id = NEW.standing_order_id AND r.run_index = NEW.next_run_index - 1 AND r.status = 'RJCT') THEN
          NEW.status := 'INFA';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER standing_order_ended BEFORE UPDATE OF status ON domestic_standing_order
        FOR EACH ROW WHEN (NEW.status = 'INCO' AND OLD.status <> 'INCO') EXECUTE FUNCTION standing_order_ends()`);
    await q.query(`
      CREATE FUNCTION standing_order_last_run_failed() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      BEGIN
        UPDATE domestic_standing_order SET status = 'INFA', status_update_date_time = now()
         WHERE standing_order_id = NEW.standing_order_id AND status = 'INCO' AND next_run_index = NEW.run_index + 1;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER standing_order_last_run_rejected AFTER UPDATE OF status ON standing_order_run
        FOR EACH ROW WHEN (NEW.status = 'RJCT' AND OLD.status <> 'RJCT') EXECUTE FUNCTION standing_order_last_run_failed()`);
    // Orders that ended before this rule with their last run rejected.
    await q.query(`
      UPDATE domestic_standing_order o SET status = 'INFA'
       WHERE o.status = 'INCO'
         AND EXISTS (SELECT 1 FROM standing_order_run r WHERE r.standing_order_id = o.standing_order_id AND r.run_index = o.next_run_index - 1 AND r.status = 'RJCT')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER standing_order_last_run_rejected ON standing_order_run`);
    await q.query(`DROP FUNCTION standing_order_last_run_failed()`);
    await q.query(`DROP TRIGGER standing_order_ended ON domestic_standing_order`);
    await q.query(`DROP FUNCTION standing_order_ends()`);
    await q.query(`UPDATE domestic_standing_order SET status = 'INCO' WHERE status = 'INFA'`);
  }
}
