import type { DataSource } from '@consentry/database';

/**
 * Folds the changes the scored payments and their reviews appended since the last fold
 * (`risk_rule_tally_change`, written by triggers on `payment_risk_assessment`, migration 1765940000000)
 * into each rule's running totals (`risk_rule_tally`): one statement that deletes the changes it sums, so
 * two folds at once never count a change twice. The review queue's page folds before it reads the totals,
 * and the worker folds with each review-expiry sweep (every minute), so the changes waiting stay a
 * minute's worth whether or not anyone opens the page.
 */
export const FOLD_RULE_TALLY_SQL = `
  WITH folded AS (DELETE FROM risk_rule_tally_change RETURNING *)
  INSERT INTO risk_rule_tally AS t (rule_name, rule_kind, fired, held, released, reviewed)
  SELECT rule_name, rule_kind, sum(fired), sum(held), sum(released), sum(reviewed) FROM folded GROUP BY 1, 2
  ON CONFLICT (rule_name, rule_kind) DO UPDATE
     SET fired = t.fired + EXCLUDED.fired, held = t.held + EXCLUDED.held, released = t.released + EXCLUDED.released, reviewed = t.reviewed + EXCLUDED.reviewed`;

/** Runs FOLD_RULE_TALLY_SQL. */
export async function foldRuleTally(dataSource: DataSource): Promise<void> {
  await dataSource.query(FOLD_RULE_TALLY_SQL);
}
