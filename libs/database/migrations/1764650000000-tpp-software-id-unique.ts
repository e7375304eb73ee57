import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * At most one live registration per software (`client_metadata->>'software_id'`, from the software
 * statement): of two concurrent registrations of one statement, the second insert fails on this index
 * however the requests interleave. Partial: a `Deregistered` row (kept for its consents) does not hold the
 * software, which may be registered again; rows without a software id (seeded TPPs) are not indexed.
 * Creating it fails if live duplicates already exist: deregister one of them first.
 */
export class TppSoftwareIdUnique1764650000000 implements MigrationInterface {
  name = 'TppSoftwareIdUnique1764650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE UNIQUE INDEX tpp_software_id_live_uq ON tpp ((client_metadata->>'software_id'))
      WHERE status <> 'Deregistered' AND client_metadata ? 'software_id'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS tpp_software_id_live_uq`);
  }
}
