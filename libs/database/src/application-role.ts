import type { DataSource, EntityManager } from 'typeorm';

/**
 * The application roles' privileges (least privilege; PCI DSS 7.2 and 10.3.2), in one place: the apps
 * connect as roles that own nothing, so PostgreSQL itself refuses them any change to the schema, any
 * rewrite of the audit trail and any switching off of its triggers, which only a table's owner may do.
 * The tables' owner is the role the migrations run as (`npm run db:migrate`); `DATABASE_APP_ROLE` names
 * the role the API and the auth server connect as, and `DATABASE_WORKER_ROLE` (optional) the worker's,
 * both granted after each migration run, so a release's new tables are granted with them.
 */
export const APPLICATION_ROLE_PRIVILEGES = {
  /** Every table: what the apps do to their own rows. */
  tables: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  /** Read and appended to, never changed: the hash-chained audit trail. */
  appendOnly: ['audit_log'],
  /** Read only: written by the retention function (as the owner) and by the migrations. */
  readOnly: ['audit_retention_cut', 'schema_migration'],
  /**
   * Read, and only these columns updated: what a sign-in writes (its failure count, lockout, and the TOTP
   * step it used) and the second factor's seed, re-encrypted by `npm run secrets:rotate`. An admin's
   * roles, username and password, and adding or removing an admin, are the tables' owner's (`npm run
   * admin:roles`, audited): SQL run as an app's role cannot give an admin another role, nor make one.
   */
  updateOnlyColumns: {
    admin_user: ['failed_login_count', 'locked_until', 'last_totp_step', 'totp_secret_enc'],
  },
  /**
   * The worker's alone when it has a role of its own: moving the outbox's events into the chained log
   * (the relay reads and deletes the outbox, and appends to the log). The API and the auth server then
   * add events to the outbox and read the log, no more: a process serving requests cannot change or drop
   * an event before it is chained, nor append an entry of its own making to the log.
   */
  workerOnly: {
    audit_outbox: ['SELECT', 'UPDATE', 'DELETE'],
    audit_log: ['INSERT'],
    // Where the worker's readers of the log (PSU alerts, TPP event notifications) have got to: moved on by
    // another role, they would skip entries, and the alerts and notifications those entries raise, unseen.
    alert_cursor: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    event_production_cursor: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  },
} as const;

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Which role is which, for the errors: the variable of `npm run db:migrate` that names it. */
type RoleVariable = 'DATABASE_APP_ROLE' | 'DATABASE_WORKER_ROLE';

/**
 * Grants `role` (DATABASE_APP_ROLE, the API's and the auth server's) and, when given, `workerRole`
 * (DATABASE_WORKER_ROLE) the application's privileges on every table and sequence of the `public` schema
 * as they stand, less the audit trail's changes, the read-only tables' writes and the admins' rows but
 * for their sign-in columns (APPLICATION_ROLE_PRIVILEGES), in one transaction, and takes `CREATE` on `public` from PUBLIC (as
 * PostgreSQL 15 creates a database). With a worker role, `role` loses what only the worker does (the
 * outbox's relay into the log); without one, the three apps share `role` and it keeps it. Each role must
 * exist, be named in lower case, be neither the tables' owner nor a member of it, nor a superuser, nor
 * bypass row security; the two must differ and `role` must not be a member of `workerRole`. Run by the
 * tables' owner after the migrations; running it again changes nothing. No role keeps `EXECUTE` on
 * `audit_log_prune` (the migration revoked it from PUBLIC): retention runs as its own role (docs/audit.md).
 */
export async function grantApplicationRole(dataSource: DataSource, role: string, options: { workerRole?: string } = {}): Promise<void> {
  const { workerRole } = options;
  checkName(role, 'DATABASE_APP_ROLE');
  if (workerRole !== undefined) {
    checkName(workerRole, 'DATABASE_WORKER_ROLE');
    if (workerRole === role) throw new Error('DATABASE_WORKER_ROLE must be another role than DATABASE_APP_ROLE: the worker alone relays the audit outbox into the log');
  }
  await dataSource.transaction(async (manager) => {
    await checkRole(manager, role, 'DATABASE_APP_ROLE');
    if (workerRole !== undefined) {
      await checkRole(manager, workerRole, 'DATABASE_WORKER_ROLE');
      // MEMBER, not USAGE: a NOINHERIT member holds no privilege of the role until it SETs ROLE to it, which it may.
      const [{ member }]: Array<{ member: boolean }> = await manager.query(`SELECT pg_has_role($1, $2, 'MEMBER') AS member`, [role, workerRole]);
      if (member) throw new Error(`the role ${role} (DATABASE_APP_ROLE) is a member of ${workerRole} (DATABASE_WORKER_ROLE): it would hold the worker's privileges`);
    }
    // PostgreSQL 15 creates databases so; one made or restored from an older release lets everyone create in public.
    await manager.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    for (const grantee of workerRole === undefined ? [role] : [role, workerRole]) await grantAll(manager, grantee);
    if (workerRole !== undefined) {
      for (const [table, privileges] of Object.entries(APPLICATION_ROLE_PRIVILEGES.workerOnly)) await manager.query(`REVOKE ${privileges.join(', ')} ON ${table} FROM "${role}"`);
    }
  });
}

function checkName(role: string, variable: RoleVariable): void {
  if (!ROLE_NAME.test(role)) throw new Error(`${variable} must be a lower-case PostgreSQL role name (letters, digits, underscores)`);
}

async function checkRole(manager: EntityManager, role: string, variable: RoleVariable): Promise<void> {
  // The tables' owner's rights come with being it, a member of it (SET ROLE: MEMBER, so a NOINHERIT member
  // counts too), or a superuser; row security's bypass with BYPASSRLS; every table's reads and writes with
  // PostgreSQL's predefined pg_read_all_data and pg_write_all_data (a forged audit_log entry, an emptied outbox).
  const [found]: Array<{ owner: boolean; privileged: boolean }> = await manager.query(
    `SELECT pg_has_role(r.oid, (SELECT relowner FROM pg_class WHERE oid = 'public.audit_log'::regclass), 'MEMBER') AS owner,
            r.rolsuper OR r.rolbypassrls OR pg_has_role(r.oid, 'pg_read_all_data', 'MEMBER') OR pg_has_role(r.oid, 'pg_write_all_data', 'MEMBER') AS privileged
       FROM pg_roles r WHERE r.rolname = $1`,
    [role],
  );
  if (!found) throw new Error(`the role ${role} (${variable}) does not exist: create it first (CREATE ROLE ${role} LOGIN ...)`);
  if (found.privileged) {
    throw new Error(`the role ${role} (${variable}) is a superuser, bypasses row security, or reads or writes all data (pg_read_all_data, pg_write_all_data): an application role must hold no such attribute`);
  }
  if (found.owner) throw new Error(`the role ${role} (${variable}) owns the tables or is a member of their owner: an application role must be another role than the migrations'`);
}

/** The privileges every application role holds (the shared role's, the worker's own). */
async function grantAll(manager: EntityManager, role: string): Promise<void> {
  const name = `"${role}"`;
  const { tables, appendOnly, readOnly, updateOnlyColumns } = APPLICATION_ROLE_PRIVILEGES;
  await manager.query(`GRANT USAGE ON SCHEMA public TO ${name}`);
  await manager.query(`GRANT ${tables.join(', ')} ON ALL TABLES IN SCHEMA public TO ${name}`);
  await manager.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${name}`);
  for (const table of appendOnly) await manager.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${table} FROM ${name}`);
  for (const table of readOnly) await manager.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${table} FROM ${name}`);
  for (const [table, columns] of Object.entries(updateOnlyColumns)) {
    // A table-level UPDATE covers every column: taken back whole, then given on the columns named.
    await manager.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${table} FROM ${name}`);
    await manager.query(`GRANT UPDATE (${columns.join(', ')}) ON ${table} TO ${name}`);
  }
}
