import { createTestDatabase, queryPlan, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminPaymentsSql } from './payment-admin.service.js';

describe('the admin payments list: each payment table paged on its own before the merge', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('admin_payments_plan');
  });
  afterAll(async () => db?.drop());

  it.each<[string, string[], unknown[]]>([
    ['no filter', [], []],
    ['a TPP', ['p.client_id = $1'], ['tpp-a']],
    ['a status', ['p.status = $1'], ['ACSP']],
  ])('with %s, every branch of the union ends in its own LIMIT (no sort of a table\'s every row)', async (_name, conditions, params) => {
    const union = (await queryPlan(db.dataSource, adminPaymentsSql(conditions, params, 51), params)).find((node) => node['Node Type'] === 'Append' || node['Node Type'] === 'Merge Append');
    // Until 7 December 2026 the conditions and the limit sat outside the union: a standing order's every run was sorted for each page.
    expect(union?.Plans?.map((branch) => branch['Node Type'])).toEqual(['Limit', 'Limit', 'Limit']);
  });
});
