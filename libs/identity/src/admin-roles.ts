import { recordAuditEvent } from '@consentry/audit';
import { DataSource } from '@consentry/database';

/**
 * The bank administrators' roles (least privilege): each admin holds one or more, in `admin_user.roles`,
 * read again on every request. Each admin API route and console page declares the one it needs
 * (`@AdminAccess` in apps/api, whose spec lists them all); this is what each role is for.
 */
export const ADMIN_ROLE_DUTIES = {
  auditor: 'search, export and verify the audit trail',
  'payment-reviewer': 'see payments and decide the payment review queue',
  'tpp-manager': 'list, suspend and reinstate TPPs',
  'ledger-operator': "close or re-identify the built-in ledger's accounts",
} as const;

export type AdminRole = keyof typeof ADMIN_ROLE_DUTIES;

/** Every role, in the order they are listed and stored. */
export const ADMIN_ROLES = Object.keys(ADMIN_ROLE_DUTIES) as readonly AdminRole[];

export function isAdminRole(value: unknown): value is AdminRole {
  return typeof value === 'string' && Object.hasOwn(ADMIN_ROLE_DUTIES, value);
}

/** A change of roles refused: an unknown role or admin, or one that would leave the admin with none. Names no secret. */
export class AdminRolesError extends Error {
  override name = 'AdminRolesError';
}

function knownRoles(values: readonly string[]): AdminRole[] {
  const unknown = values.filter((value) => !isAdminRole(value));
  if (unknown.length > 0) throw new AdminRolesError(`unknown role ${unknown.map((v) => JSON.stringify(v)).join(', ')}: the roles are ${ADMIN_ROLES.join(', ')}`);
  return values as AdminRole[];
}

/** An operator's grant and revocation of one admin's roles, checked on creation. */
export class ChangeAdminRolesCommand {
  readonly username: string;
  readonly grant: readonly AdminRole[];
  readonly revoke: readonly AdminRole[];

  constructor(input: { username: string; grant?: readonly string[]; revoke?: readonly string[] }) {
    if (typeof input.username !== 'string' || input.username.length === 0) throw new AdminRolesError('name the admin by username');
    this.username = input.username;
    this.grant = knownRoles(input.grant ?? []);
    this.revoke = knownRoles(input.revoke ?? []);
    if (this.grant.length + this.revoke.length === 0) throw new AdminRolesError('grant or revoke at least one role');
    const both = this.grant.filter((role) => this.revoke.includes(role));
    if (both.length > 0) throw new AdminRolesError(`${both.join(', ')} is both granted and revoked`);
  }
}

export interface AdminRolesChange {
  adminId: string;
  /** The roles before and after, in ADMIN_ROLES order. */
  before: AdminRole[];
  roles: AdminRole[];
  /** False when the admin already held exactly these roles: nothing written, nothing audited. */
  changed: boolean;
}

/**
 * Grants and revokes an admin's roles. The row (locked) and its `admin.roles-changed` audit event
 * commit together; an admin is never left without a role (the table's CHECK refuses it too). The next
 * request of any session the admin holds is judged by the new roles.
 */
export class ChangeAdminRoles {
  constructor(private readonly dataSource: DataSource) {}

  execute(command: ChangeAdminRolesCommand): Promise<AdminRolesChange> {
    return this.dataSource.transaction(async (manager) => {
      const [row]: Array<{ admin_id: string; roles: string[] }> = await manager.query(`SELECT admin_id, roles FROM admin_user WHERE username = $1 FOR UPDATE`, [
        command.username,
      ]);
      if (!row) throw new AdminRolesError(`no admin has the username ${JSON.stringify(command.username)}`);
      const before = ADMIN_ROLES.filter((role) => row.roles.includes(role));
      const roles = ADMIN_ROLES.filter((role) => (before.includes(role) || command.grant.includes(role)) && !command.revoke.includes(role));
      if (roles.length === 0) throw new AdminRolesError(`${command.username} would hold no role: an admin holds at least one (remove the admin instead)`);
      const changed = roles.join() !== before.join();
      if (changed) {
        await manager.query(`UPDATE admin_user SET roles = $2 WHERE admin_id = $1`, [row.admin_id, roles]);
        await recordAuditEvent(manager, {
          type: 'admin.roles-changed',
          actor: { type: 'system', id: 'admin-roles' },
          data: {
            adminId: row.admin_id,
            granted: roles.filter((role) => !before.includes(role)),
            revoked: before.filter((role) => !roles.includes(role)),
            roles,
          },
        });
      }
      return { adminId: row.admin_id, before, roles, changed };
    });
  }
}

/** An admin's roles, in ADMIN_ROLES order; null for an unknown username. */
export async function adminRolesOf(dataSource: DataSource, username: string): Promise<AdminRole[] | null> {
  const [row]: Array<{ roles: string[] }> = await dataSource.query(`SELECT roles FROM admin_user WHERE username = $1`, [username]);
  return row ? ADMIN_ROLES.filter((role) => row.roles.includes(role)) : null;
}
