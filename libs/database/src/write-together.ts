import { DataSource } from 'typeorm';

import { queryPrepared } from './prepared-query.js';

/** One write (INSERT, UPDATE or DELETE) with `$1`, `$2`, ... for its own values. */
export interface WritePart {
  sql: string;
  values: unknown[];
  /**
   * The name of its WITH in writeTogetherStatement (`w<index>` when none), for a later part to read what
   * it RETURNs (`EXISTS (SELECT 1 FROM <name>)`): names must be unique in a statement.
   */
  name?: string;
}

/**
 * The statement that makes several writes at once: each part a data-modifying WITH, its parameters
 * numbered after the previous parts'. One statement is atomic on its own, so the writes commit together
 * without a transaction's BEGIN and COMMIT round trips. The parts must not change the same row (a rule of
 * data-modifying WITH) and hold no `$` but their parameters.
 */
export function writeTogetherStatement(parts: readonly WritePart[]): WritePart {
  let offset = 0;
  const ctes = parts.map((part, index) => {
    const shift = offset;
    offset += part.values.length;
    return `${part.name ?? `w${index}`} AS (${shiftParameters(part.sql, shift)})`;
  });
  return { sql: `WITH ${ctes.join(',\n')}\nSELECT 1`, values: parts.flatMap((part) => part.values) };
}

/**
 * `sql` with each `$n` made `$(n + by)`: a statement's own parameters numbered after `by` others', to be
 * made part of a larger statement. `sql` must hold no `$` but its parameters.
 */
export function shiftParameters(sql: string, by: number): string {
  return by === 0 ? sql : sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + by}`);
}

/**
 * Makes the writes in one round trip, as one prepared statement on the pool (a few fixed texts: the
 * parts' texts are fixed, only their values change).
 */
export async function writeTogether(dataSource: DataSource, parts: readonly WritePart[]): Promise<void> {
  const { sql, values } = writeTogetherStatement(parts);
  await queryPrepared(dataSource, sql, values);
}
