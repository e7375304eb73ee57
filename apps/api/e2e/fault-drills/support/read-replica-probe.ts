import type { PrivatePostgres } from '@consentry/testing';
import pg from 'pg';

import type { ApiHarness } from '../../support/api-harness.js';

/** Runs `sql` on the replica's copy of the harness's database, on a connection of its own. */
export async function queryReplica(replica: PrivatePostgres, h: ApiHarness, sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: replica.url.replace(/\/postgres$/, `/${h.db.name}`) });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A gauge on the API's /metrics (`consentry_read_replica_serving`, say), or null when it is absent. */
export async function apiGauge(h: ApiHarness, name: string): Promise<number | null> {
  const metrics = await h.call('GET', '/metrics');
  const line = String(metrics.body ?? '').split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.split(' ')[1]);
}
