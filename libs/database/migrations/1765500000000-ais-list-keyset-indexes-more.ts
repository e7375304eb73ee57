import { MigrationInterface, QueryRunner } from 'typeorm';

// The ledger's readable balance names and their ISO ExternalBalanceType1Code (what the OB v4.0 wire carries).
const BALANCE_CODES: ReadonlyArray<[name: string, code: string]> = [
  ['ClosingAvailable', 'CLAV'],
  ['ClosingBooked', 'CLBD'],
  ['ForwardAvailable', 'FWAV'],
  ['Information', 'INFO'],
  ['InterimAvailable', 'ITAV'],
  ['InterimBooked', 'ITBD'],
  ['OpeningAvailable', 'OPAV'],
  ['OpeningBooked', 'OPBD'],
  ['PreviouslyClosedBooked', 'PRCD'],
  ['Expected', 'XPCD'],
];

/**
 * Keyset indexes of the last AIS lists to page in SQL (accounts, balances, statements, account parties),
 * as migration 1765010000000 made them for the others: (account_id, id) compared as code units.
 *
 * A balance's place in its list is its ISO type code (the id the API's cursors carry), so the code is a
 * stored generated column beside the readable name, and unique per account: a balance type is held once
 * per account (the payment debit already relies on that), and a keyset page needs the key to be unique.
 */
export class AisListKeysetIndexesMore1765500000000 implements MigrationInterface {
  name = 'AisListKeysetIndexesMore1765500000000';

  async up(q: QueryRunner): Promise<void> {
    const cases = BALANCE_CODES.map(([name, code]) => `WHEN '${name}' THEN '${code}'`).join(' ');
    await q.query(`ALTER TABLE balance ADD COLUMN type_code text GENERATED ALWAYS AS (CASE type ${cases} ELSE 'INFO' END) STORED`);
    await q.query(`CREATE UNIQUE INDEX balance_keyset_idx ON balance (account_id COLLATE "C", type_code COLLATE "C")`);
    await q.query(`CREATE INDEX account_keyset_idx ON account (account_id COLLATE "C")`);
    await q.query(`CREATE INDEX statement_keyset_idx ON statement (account_id COLLATE "C", statement_id COLLATE "C")`);
    await q.query(`CREATE INDEX account_party_keyset_idx ON account_party (account_id COLLATE "C", party_id COLLATE "C")`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const index of ['account_party_keyset_idx', 'statement_keyset_idx', 'account_keyset_idx', 'balance_keyset_idx']) {
      await q.query(`DROP INDEX IF EXISTS ${index}`);
    }
    await q.query(`ALTER TABLE balance DROP COLUMN IF EXISTS type_code`);
  }
}
