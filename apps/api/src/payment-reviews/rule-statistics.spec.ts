import { MIGRATIONS } from '@consentry/database';
import { FOLD_RULE_TALLY_SQL } from '@consentry/risk';
import { createTestDatabase, queryPlan, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RULE_STATISTICS_SQL, RuleStatistics } from './payment-reviews.service.js';

type Decision = 'allow' | 'hold' | 'reject';
type ReviewStatus = 'held' | 'release-requested' | 'released' | 'rejected' | 'expired' | 'withdrawn';

/** A row of the statistics' SQL: the service's RuleStatistics, its rate as the SQL names it. */
type Statistics = Omit<RuleStatistics, 'falsePositiveRate'> & { rate: string | null };

// The statistics counted afresh from every assessment, as the console did until 7 December 2026: what the
// running totals must always equal.
const RECOUNT_SQL = `
  SELECT rule->>'name' AS name, rule->>'kind' AS kind, count(*)::int AS fired,
         count(*) FILTER (WHERE r.decision = 'hold')::int AS held,
         count(*) FILTER (WHERE r.review_status = 'released')::int AS released,
         count(*) FILTER (WHERE r.review_status IN ('released', 'rejected'))::int AS reviewed,
         round(count(*) FILTER (WHERE r.review_status = 'released')::numeric
               / nullif(count(*) FILTER (WHERE r.review_status IN ('released', 'rejected')), 0), 3)::text AS rate
    FROM payment_risk_assessment r CROSS JOIN LATERAL jsonb_array_elements(r.rules) AS rule
   WHERE r.score > 0 OR r.decision <> 'allow'
   GROUP BY 1, 2 ORDER BY 1, 2`;

const RULES = [
  { name: 'large-payment-to-new-payee', kind: 'new-payee' },
  { name: 'account-burst', kind: 'velocity' },
  { name: 'deny-listed-payee', kind: 'deny-list' },
] as const;

/** A deterministic generator (mulberry32), so a failing sequence can be run again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Assessment {
  id: string;
  decision: Decision;
  score: number;
  rules: ReadonlyArray<{ name: string; kind: string }>;
  review?: ReviewStatus | null;
}

async function assess(db: TestDatabase, a: Assessment): Promise<void> {
  await db.dataSource.query(
    `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, debtor_account_id, creditor_key, amount, currency, decision, score, rules,
                                          assessed_at, review_status, tpp_stripe, tpp_running_payments, tpp_running_amount, account_stripe, account_running_payments, account_running_amount)
     VALUES ($1, 'domestic-vrp', 'vrp-c', 'tpp-1', 'acc-1', 'k', 1, 'GBP', $2, $3, $4::jsonb, now(), $5, 0, 1, 1, 0, 1, 1)`,
    [a.id, a.decision, a.score, JSON.stringify(a.rules.map((rule) => ({ ...rule, score: a.score }))), a.review ?? null],
  );
}

async function review(db: TestDatabase, id: string, status: ReviewStatus): Promise<void> {
  await db.dataSource.query(`UPDATE payment_risk_assessment SET review_status = $2 WHERE payment_id = $1`, [id, status]);
}

/** What the console shows: the changes folded, then the totals read (PaymentReviewsService.ruleStatistics). */
async function statistics(db: TestDatabase): Promise<Statistics[]> {
  await db.dataSource.query(FOLD_RULE_TALLY_SQL);
  return db.dataSource.query(RULE_STATISTICS_SQL);
}

const recount = (db: TestDatabase): Promise<Statistics[]> => db.dataSource.query(RECOUNT_SQL);

describe("the review queue's rule statistics", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('rule_statistics');
  });
  afterAll(async () => db?.drop());

  it('equal a recount of every assessment, whatever was scored, reviewed and read in between', async () => {
    const next = random(20261207);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const held: string[] = [];
    for (let step = 0; step < 400; step++) {
      const roll = next();
      if (roll < 0.55) {
        const id = `p-${step}`;
        const fired = RULES.filter(() => next() < 0.5);
        const decision: Decision = fired.length === 0 ? pick(['allow', 'allow', 'reject'] as const) : pick(['allow', 'hold', 'hold', 'reject'] as const);
        // A rule that fired with no score (a deny-list alone, a hold of score 0) still counts: decision <> 'allow'.
        const score = fired.length === 0 ? 0 : pick([0, 10, 40]);
        await assess(db, { id, decision, score, rules: fired, review: decision === 'hold' ? 'held' : null });
        if (decision === 'hold') held.push(id);
      } else if (roll < 0.9 && held.length > 0) {
        const id = held.splice(Math.floor(next() * held.length), 1)[0]!;
        const outcome = pick(['released', 'rejected', 'expired', 'withdrawn', 'release-requested'] as const);
        await review(db, id, outcome);
        // Four-eyes: a requested release is then released or rejected by another admin.
        if (outcome === 'release-requested') await review(db, id, pick(['released', 'rejected'] as const));
      } else {
        expect(await statistics(db)).toEqual(await recount(db));
      }
    }
    expect(await statistics(db)).toEqual(await recount(db));
    expect((await recount(db)).length).toBe(RULES.length);
  });

  it('count each change once when reads fold at the same time as payments are scored', async () => {
    const writes = Array.from({ length: 120 }, (_, i) => assess(db, { id: `c-${i}`, decision: 'hold', score: 10, rules: [RULES[i % 3]!], review: 'held' }));
    const folds = Array.from({ length: 8 }, () => db.dataSource.query(FOLD_RULE_TALLY_SQL));
    await Promise.all([...writes, ...folds]);
    await Promise.all(Array.from({ length: 40 }, (_, i) => review(db, `c-${i}`, i % 2 === 0 ? 'released' : 'rejected')).concat(Array.from({ length: 4 }, () => db.dataSource.query(FOLD_RULE_TALLY_SQL))));
    expect(await statistics(db)).toEqual(await recount(db));
  });

  it('read one row per rule however many payments were scored, and never the assessments', async () => {
    await db.dataSource.query(
      `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, debtor_account_id, creditor_key, amount, currency, decision, score, rules,
                                            assessed_at, tpp_stripe, tpp_running_payments, tpp_running_amount, account_stripe, account_running_payments, account_running_amount)
       SELECT 'bulk-' || i, 'domestic-vrp', 'vrp-c', 'tpp-1', 'acc-1', 'k', 1, 'GBP', 'allow', 10, '[{"name":"account-burst","kind":"velocity","score":10}]', now(), 0, 1, 1, 0, 1, 1
         FROM generate_series(1, 5000) AS i`,
    );
    expect(await statistics(db)).toEqual(await recount(db));
    const [sizes] = await db.dataSource.query(`SELECT (SELECT count(*)::int FROM risk_rule_tally) AS totals, (SELECT count(*)::int FROM risk_rule_tally_change) AS changes`);
    expect(sizes).toEqual({ totals: RULES.length, changes: 0 });
    // Until 7 December 2026 each console page aggregated every assessment in which a rule fired.
    const plan = await queryPlan(db.dataSource, RULE_STATISTICS_SQL);
    expect(plan.map((node) => node['Relation Name']).filter(Boolean)).toEqual(['risk_rule_tally']);
  });

  it('start from the payments scored before the running totals existed', async () => {
    const migration = MIGRATIONS.find((m) => m.name === 'RuleStatisticsTally1765940000000');
    if (!migration) throw new Error('the rule statistics migration is not registered');
    const before = await createTestDatabase('rule_statistics_migration');
    try {
      const runner = before.dataSource.createQueryRunner();
      try {
        await new migration().down(runner);
        await assess(before, { id: 'old-1', decision: 'hold', score: 40, rules: [RULES[0], RULES[1]], review: 'released' });
        await assess(before, { id: 'old-2', decision: 'hold', score: 40, rules: [RULES[0]], review: 'rejected' });
        await assess(before, { id: 'old-3', decision: 'hold', score: 40, rules: [RULES[0]], review: 'expired' });
        await assess(before, { id: 'old-4', decision: 'allow', score: 10, rules: [RULES[1]] });
        await assess(before, { id: 'old-5', decision: 'reject', score: 0, rules: [RULES[2]] });
        await assess(before, { id: 'old-6', decision: 'allow', score: 0, rules: [] });
        await new migration().up(runner);
      } finally {
        await runner.release();
      }
      // Reviewed after the migration: the totals move from where the migration left them.
      await assess(before, { id: 'new-1', decision: 'hold', score: 40, rules: [RULES[0]], review: 'held' });
      await review(before, 'new-1', 'released');
      expect(await statistics(before)).toEqual(await recount(before));
      expect((await statistics(before)).find((s) => s.name === 'large-payment-to-new-payee')).toEqual({
        name: 'large-payment-to-new-payee', kind: 'new-payee', fired: 4, held: 4, released: 2, reviewed: 3, rate: '0.667',
      });
    } finally {
      await before.drop();
    }
  });
});
