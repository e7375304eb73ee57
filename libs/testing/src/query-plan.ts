import type { DataSource } from '@consentry/database';

/** One node of an EXPLAIN (FORMAT JSON) plan, with what the plan tests read of it. */
export interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  /** The table a scan reads. */
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/**
 * Every node of the plan PostgreSQL makes for `sql` with `params`, depth first. With `seqScans: false` a
 * sequential scan is priced out (`enable_seqscan = off`): a statement an index can serve is then planned
 * on it even over an empty table, one no index can serve still scans, which is what a plan test tells.
 */
export async function queryPlan(dataSource: DataSource, sql: string, params: unknown[] = [], options: { seqScans?: boolean } = {}): Promise<PlanNode[]> {
  return dataSource.transaction(async (manager) => {
    if (options.seqScans === false) await manager.query(`SET LOCAL enable_seqscan = off`);
    await manager.query(`SET LOCAL plan_cache_mode = force_custom_plan`);
    const [row]: Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }> = await manager.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    const walk = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(walk)];
    return walk(row!['QUERY PLAN'][0]!.Plan);
  });
}
