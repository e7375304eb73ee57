import { createTestDatabase, queryPlan, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RULE_STATISTICS_SQL } from './payment-reviews.service.js';

describe('the review queue\'s rule statistics', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('rule_statistics_plan');
  });
  afterAll(async () => db?.drop());

  it('read the assessments in which a rule fired off their partial index, not every payment ever scored', async () => {
    // Until 7 December 2026 each console page of the queue scanned every assessment (51 ms at 300k in a probe).
    const plan = await queryPlan(db.dataSource, RULE_STATISTICS_SQL, [], { seqScans: false });
    expect(plan.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    expect(plan.map((node) => node['Index Name']).filter(Boolean)).toEqual(['payment_risk_fired_idx']);
  });
});
