import { MigrationInterface, QueryRunner } from 'typeorm';

// An assessment in which a rule fired: the condition the statistics have always counted by.
const FIRED = `(NEW.score > 0 OR NEW.decision <> 'allow')`;
const RELEASED = (row: 'NEW' | 'OLD'): string => `(${row}.review_status IS NOT DISTINCT FROM 'released')::int`;
const REVIEWED = (row: 'NEW' | 'OLD'): string => `(coalesce(${row}.review_status IN ('released', 'rejected'), false))::int`;

/**
 * The review queue's rule statistics (fired, held, released, reviewed per rule; every console page of the
 * queue) kept as running totals, so reading them costs the same whatever number of payments was ever
 * scored. Until this migration each page aggregated every assessment in which a rule fired (migration
 * 1765930000000's partial index, whose read grew with them).
 *
 * - `risk_rule_tally`: one row per rule (name and kind), its totals.
 * - `risk_rule_tally_change`: what assessments added since the totals were last folded: a trigger on
 *   `payment_risk_assessment` appends a row per fired rule when an assessment is written, and the review's
 *   difference (released, reviewed) when its `review_status` changes. Appends only, with no key and no
 *   index: a payment's write takes no lock another payment waits on (a counter row updated in place would
 *   make every payment firing the same rule queue behind the others until their commits).
 * - The read folds the changes into the totals first (`PaymentReviewsService.ruleStatistics`: one
 *   statement that deletes the changes it sums; two folds at once never count a change twice, as the
 *   second skips the rows the first deleted), then reads the totals.
 *
 * The totals are filled from the assessments as they stand, in the migration's transaction.
 */
export class RuleStatisticsTally1765940000000 implements MigrationInterface {
  name = 'RuleStatisticsTally1765940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE risk_rule_tally (
        rule_name text NOT NULL,
        rule_kind text NOT NULL,
        fired bigint NOT NULL,
        held bigint NOT NULL,
        released bigint NOT NULL,
        reviewed bigint NOT NULL,
        PRIMARY KEY (rule_name, rule_kind)
      )`);
    await q.query(`
      CREATE TABLE risk_rule_tally_change (
        rule_name text NOT NULL,
        rule_kind text NOT NULL,
        fired integer NOT NULL,
        held integer NOT NULL,
        released integer NOT NULL,
        reviewed integer NOT NULL
      )`);
    await q.query(`
      CREATE FUNCTION payment_risk_rule_tally() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO risk_rule_tally_change (rule_name, rule_kind, fired, held, released, reviewed)
          SELECT rule->>'name', rule->>'kind', 1, (NEW.decision = 'hold')::int, ${RELEASED('NEW')}, ${REVIEWED('NEW')}
            FROM jsonb_array_elements(NEW.rules) AS rule;
        ELSE
          INSERT INTO risk_rule_tally_change (rule_name, rule_kind, fired, held, released, reviewed)
          SELECT rule->>'name', rule->>'kind', 0, 0, ${RELEASED('NEW')} - ${RELEASED('OLD')}, ${REVIEWED('NEW')} - ${REVIEWED('OLD')}
            FROM jsonb_array_elements(NEW.rules) AS rule;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER payment_risk_rule_tally_written AFTER INSERT ON payment_risk_assessment
        FOR EACH ROW WHEN ${FIRED} EXECUTE FUNCTION payment_risk_rule_tally()`);
    // Only a change of the review counts: released and reviewed move with it, fired and held never change.
    await q.query(`
      CREATE TRIGGER payment_risk_rule_tally_reviewed AFTER UPDATE OF review_status ON payment_risk_assessment
        FOR EACH ROW WHEN (${FIRED} AND OLD.review_status IS DISTINCT FROM NEW.review_status) EXECUTE FUNCTION payment_risk_rule_tally()`);
    await q.query(`
      INSERT INTO risk_rule_tally (rule_name, rule_kind, fired, held, released, reviewed)
      SELECT rule->>'name', rule->>'kind', count(*), count(*) FILTER (WHERE r.decision = 'hold'),
             count(*) FILTER (WHERE r.review_status = 'released'), count(*) FILTER (WHERE r.review_status IN ('released', 'rejected'))
        FROM payment_risk_assessment r CROSS JOIN LATERAL jsonb_array_elements(r.rules) AS rule
       WHERE r.score > 0 OR r.decision <> 'allow'
       GROUP BY 1, 2`);
    await q.query(`DROP INDEX payment_risk_fired_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX payment_risk_fired_idx ON payment_risk_assessment (payment_id) WHERE score > 0 OR decision <> 'allow'`);
    await q.query(`DROP TRIGGER payment_risk_rule_tally_reviewed ON payment_risk_assessment`);
    await q.query(`DROP TRIGGER payment_risk_rule_tally_written ON payment_risk_assessment`);
    await q.query(`DROP FUNCTION payment_risk_rule_tally()`);
    await q.query(`DROP TABLE risk_rule_tally_change`);
    await q.query(`DROP TABLE risk_rule_tally`);
  }
}
