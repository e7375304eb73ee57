import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { DataSource, EntityManager } from 'typeorm';

// Statement text -> prepared statement name, process-wide: the same text is the same statement on
// every connection of every pool (pg prepares a name once per connection, on first use).
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `consentry_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/** The pg pool TypeORM's PostgreSQL driver holds. */
function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

/**
 * Runs one statement of the hot read path as a named prepared statement on the pg pool the DataSource
 * holds: no TypeORM QueryRunner per call, and PostgreSQL parses and plans each text once per
 * connection. For fixed texts only (a few variants each), never for ad-hoc SQL; name the columns
 * rather than `*`, so that a column added by a later migration cannot change a prepared result type.
 */
export async function queryPrepared<Row extends QueryResultRow = Record<string, unknown>>(
  dataSource: DataSource,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  const result = await poolOf(dataSource).query<Row>({ name: statementName(text), text, values });
  return result.rows;
}

/**
 * queryPrepared through `manager`: inside its transaction, on the transaction's own connection, when it
 * has one (a QueryRunner), else on the pool. For the fixed statements of a write path, which then skip
 * the parse and plan of every call as the reads do. A failure is pg's DatabaseError, not TypeORM's
 * QueryFailedError.
 */
export async function queryPreparedIn<Row extends QueryResultRow = Record<string, unknown>>(
  manager: EntityManager,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  const runner = manager.queryRunner;
  if (runner === undefined) return queryPrepared<Row>(manager.connection, text, values);
  // TypeORM's PostgresQueryRunner hands out the pg client it holds (connecting it on first use).
  const client = (await runner.connect()) as PoolClient;
  const result = await client.query<Row>({ name: statementName(text), text, values });
  return result.rows;
}

/**
 * queryPrepared with each row as an array of its columns, in the order the statement names them: no
 * object per row, for a page of a hundred rows on every read. The caller reads columns by position.
 */
export async function queryPreparedArrays(dataSource: DataSource, text: string, values: unknown[]): Promise<unknown[][]> {
  const result = await poolOf(dataSource).query<unknown[]>({ name: statementName(text), text, values, rowMode: 'array' });
  return result.rows;
}

const selectLists = new Map<string, string>();

/**
 * The SELECT list of an entity's columns, each named as its property (`consent_id AS "consentId"`), from
 * TypeORM's metadata: a raw row of a prepared statement then reads as the entity would.
 */
export function entitySelectList(dataSource: DataSource, entity: new () => object): string {
  const metadata = dataSource.getMetadata(entity);
  let list = selectLists.get(metadata.tableName);
  if (list === undefined) {
    list = metadata.columns.map((column) => `${column.databaseName} AS "${column.propertyName}"`).join(', ');
    selectLists.set(metadata.tableName, list);
  }
  return list;
}
