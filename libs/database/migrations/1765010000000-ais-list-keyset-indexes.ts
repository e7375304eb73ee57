import { MigrationInterface, QueryRunner } from 'typeorm';

/** The AIS lists the connectors page in SQL, each with its record id column. */
const LISTS: ReadonlyArray<[table: string, id: string]> = [
  ['beneficiary', 'beneficiary_id'],
  ['direct_debit', 'direct_debit_id'],
  ['standing_order', 'standing_order_id'],
  ['scheduled_payment', 'scheduled_payment_id'],
  ['product', 'product_id'],
  ['offer', 'offer_id'],
];

/**
 * Keyset indexes of the AIS lists the sandbox ledger pages in SQL: (account_id, id) compared as code units
 * (`COLLATE "C"`, the order the API's cursors use whatever the database's default collation), so a page
 * after or before a key is an index range scan, and its count an index-only one.
 */
export class AisListKeysetIndexes1765010000000 implements MigrationInterface {
  name = 'AisListKeysetIndexes1765010000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, id] of LISTS) {
      await q.query(`CREATE INDEX ${table}_keyset_idx ON ${table} (account_id COLLATE "C", ${id} COLLATE "C")`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table] of LISTS) await q.query(`DROP INDEX IF EXISTS ${table}_keyset_idx`);
  }
}
