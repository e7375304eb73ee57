import { createTestDatabase, PlanNode, queryPlan, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuditFilter, auditFilterSql } from './audit-filter.js';

describe('the audit log searches: a page newest first under each filter is one range read of an index', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('audit_filter_plans');
  });
  afterAll(async () => db?.drop());

  /** The plan's nodes for `sql` with `params`, sequential scans priced out (a plan that can use an index does). */
  const planOf = (sql: string, params: unknown[]): Promise<PlanNode[]> => queryPlan(db.dataSource, sql, params, { seqScans: false });

  it.each<[string, AuditFilter, string]>([
    ['TPP', { clientId: 'tpp-a' }, 'audit_log_client_seq_idx'],
    ['PSU', { psuId: '00000000-0000-4000-8000-000000000001' }, 'audit_log_psu_seq_idx'],
    ['consent', { consentId: 'aac-1' }, 'audit_log_consent_seq_idx'],
    ['event type', { type: 'consent.revoked' }, 'audit_log_event_type_seq_idx'],
  ])('by %s: no sort, off its (filter, seq) index', async (_name, filter, index) => {
    const { conditions, params } = auditFilterSql(filter);
    // Until 7 December 2026 each filter had a one-column index: PostgreSQL walked seq backwards filtering every entry, or sorted all of the filter's.
    const plan = await planOf(`SELECT seq FROM audit_log WHERE ${conditions.join(' AND ')} ORDER BY seq DESC LIMIT 51`, params);
    expect(plan.map((node) => node['Node Type'])).not.toContain('Sort');
    expect(plan.map((node) => node['Index Name']).filter(Boolean)).toEqual([index]);
  });

  it('reads a consent\'s last data access (the dashboard) off its partial index, not every entry of the consent', async () => {
    const plan = await planOf(`SELECT max(occurred_at) FROM audit_log WHERE consent_id = $1 AND event_type = 'data.accessed'`, ['aac-1']);
    expect(plan.map((node) => node['Index Name']).filter(Boolean)).toEqual(['audit_log_consent_accessed_idx']);
  });
});
