import { MigrationInterface, QueryRunner } from 'typeorm';

/** The admin's list of TPPs, by name then client id, a keyset page read straight off an index. */
export class TppListing1765810000000 implements MigrationInterface {
  name = 'TppListing1765810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX tpp_listed_idx ON tpp (name, client_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS tpp_listed_idx`);
  }
}
