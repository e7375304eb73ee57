import type { DataSource } from 'typeorm';

/**
 * The application role's privileges (least privilege; PCI DSS 7.2 and 10.3.2), in one place: the apps
 * (API, auth server, worker) connect as a role that owns nothing, so PostgreSQL itself refuses them any
 * change to the schema, any rewrite of the audit trail and any switching off of its triggers, which
 * only a table's owner may do. The tables' owner is the role the migrations run as (`npm run
 * db:migrate`); `DATABASE_APP_ROLE` names the application role it grants after each migration run, so
 * a release's new tables are granted with it.
 */
export const APPLICATION_ROLE_PRIVILEGES = {
  /** Every table: what the apps do to their own rows. */
  tables: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  /** Read and appended to, never changed: the hash-chained audit trail. */
  appendOnly: ['audit_log'],
  /** Read only: written by the retention function (as the owner) and by the migrations. */
  readOnly: ['audit_retention_cut', 'schema_migration'],
} as const;

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Grants `role` (an existing role, named in lower case, neither the tables' owner nor a member of it, nor
 * a superuser) the application's privileges on every table and sequence of the `public` schema as they
 * stand, less the audit trail's changes and the read-only tables' writes (APPLICATION_ROLE_PRIVILEGES), in
 * one transaction, and takes `CREATE` on `public` from PUBLIC (as PostgreSQL 15 creates a database). Run by the tables' owner after the migrations;
 * running it again changes nothing. The role keeps no `EXECUTE` on `audit_log_prune` (the migration
 * revoked it from PUBLIC): retention runs as its own role (docs/audit.md).
 */
export async function grantApplicationRole(dataSource: DataSource, role: string): Promise<void> {
  if (!ROLE_NAME.test(role)) throw new Error('DATABASE_APP_ROLE must be a lower-case PostgreSQL role name (letters, digits, underscores)');
  const name = `"${role}"`;
  const { tables, appendOnly, readOnly } = APPLICATION_ROLE_PRIVILEGES;
  await dataSource.transaction(async (manager) => {
    // The tables' owner's rights come with being it, a member of it (SET ROLE), or a superuser; row
    // security's bypass with BYPASSRLS.
    const [exists]: Array<{ owner: boolean; privileged: boolean }> = await manager.query(
      `SELECT pg_has_role(r.oid, (SELECT relowner FROM pg_class WHERE oid = 'public.audit_log'::regclass), 'USAGE') AS owner,
              r.rolsuper OR r.rolbypassrls AS privileged
         FROM pg_roles r WHERE r.rolname = $1`,
      [role],
    );
    if (!exists) throw new Error(`the role ${role} (DATABASE_APP_ROLE) does not exist: create it first (CREATE ROLE ${role} LOGIN ...)`);
    if (exists.privileged) throw new Error(`the role ${role} (DATABASE_APP_ROLE) is a superuser or bypasses row security: the application role must hold no such attribute`);
    if (exists.owner) throw new Error(`the role ${role} (DATABASE_APP_ROLE) owns the tables or is a member of their owner: the application role must be another role than the migrations'`);
    // PostgreSQL 15 creates databases so; one made or restored from an older release lets everyone create in public.
    await manager.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    await manager.query(`GRANT USAGE ON SCHEMA public TO ${name}`);
    await manager.query(`GRANT ${tables.join(', ')} ON ALL TABLES IN SCHEMA public TO ${name}`);
    await manager.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${name}`);
    for (const table of appendOnly) await manager.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${table} FROM ${name}`);
    for (const table of readOnly) await manager.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${table} FROM ${name}`);
  });
}
