import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admin roles (least privilege): `admin_user.roles`, one or more of the roles `ADMIN_ROLES` of
 * libs/identity names. The list is written out here, as it stands at this migration: a role added later
 * comes with a migration of its own that widens the CHECK.
 *
 * Every admin already there gets every role, so an upgrade locks nobody out; an operator then takes away
 * what each does not need (`npm run admin:roles`). The default is dropped once they have it: an admin
 * added afterwards must be given its roles by name. No release before this one inserts admins (only the
 * sandbox seed does), so the previous release's pods keep working while this runs.
 */
export class AdminRoles1765900000000 implements MigrationInterface {
  name = 'AdminRoles1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE admin_user ADD COLUMN roles text[] NOT NULL DEFAULT '{auditor,payment-reviewer,tpp-manager,ledger-operator}'`);
    await q.query(`ALTER TABLE admin_user ALTER COLUMN roles DROP DEFAULT`);
    // `<@` is false for an array holding NULL; an empty array has no dimension at all (array_ndims NULL).
    await q.query(`
      ALTER TABLE admin_user ADD CONSTRAINT admin_user_roles_known CHECK (
        cardinality(roles) > 0
        AND coalesce(array_ndims(roles) = 1, false)
        AND roles <@ ARRAY['auditor', 'payment-reviewer', 'tpp-manager', 'ledger-operator']::text[]
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE admin_user DROP COLUMN roles`);
  }
}
