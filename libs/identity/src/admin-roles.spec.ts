import { MIGRATIONS } from '@consentry/database';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN_ROLES, AdminRolesError, adminRolesOf, ChangeAdminRoles, ChangeAdminRolesCommand } from './admin-roles.js';

describe('admin roles', () => {
  let db: TestDatabase;

  const insertAdmin = (username: string, roles: string | null) =>
    db.dataSource.query(`INSERT INTO admin_user (username, password_hash, totp_secret_enc, roles) VALUES ($1, 'x', 'x', $2::text[])`, [username, roles]);
  const rolesChanged = async (): Promise<unknown[]> =>
    (await db.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'type' = 'admin.roles-changed' ORDER BY created_seq`)).map((row: { event: unknown }) => row.event);

  beforeAll(async () => {
    db = await createTestDatabase('admin_roles');
  });
  afterAll(async () => db?.drop());

  it('gives every admin there before the migration every role, so an upgrade locks nobody out, then wants roles named', async () => {
    const migration = MIGRATIONS.find((m) => m.name === 'AdminRoles1765900000000');
    if (!migration) throw new Error('the admin roles migration is not registered');
    const runner = db.dataSource.createQueryRunner();
    try {
      await new migration().down(runner);
      await runner.query(`INSERT INTO admin_user (username, password_hash, totp_secret_enc) VALUES ('before-roles', 'x', 'x')`);
      await new migration().up(runner);
    } finally {
      await runner.release();
    }
    expect(await adminRolesOf(db.dataSource, 'before-roles')).toEqual([...ADMIN_ROLES]);
    await expect(db.dataSource.query(`INSERT INTO admin_user (username, password_hash, totp_secret_enc) VALUES ('no-roles', 'x', 'x')`)).rejects.toThrow(/null value in column "roles"/);
  });

  it('refuses an unknown role, an empty list, a NULL element and a nested array in the table itself', async () => {
    for (const roles of ['{superuser}', '{auditor,root}', '{}', '{auditor,NULL}', '{{auditor}}']) {
      await expect(insertAdmin(`bad-${roles}`, roles), roles).rejects.toThrow(/admin_user_roles_known/);
    }
    await insertAdmin('auditor-only', '{auditor}');
    expect(await adminRolesOf(db.dataSource, 'auditor-only')).toEqual(['auditor']);
  });

  it('grants and revokes in one audited change, in the roles’ own order', async () => {
    const before = await rolesChanged();
    const change = await new ChangeAdminRoles(db.dataSource).execute(new ChangeAdminRolesCommand({ username: 'auditor-only', grant: ['tpp-manager', 'payment-reviewer'], revoke: ['auditor'] }));
    expect(change).toEqual({ adminId: expect.any(String), before: ['auditor'], roles: ['payment-reviewer', 'tpp-manager'], changed: true });
    expect(await adminRolesOf(db.dataSource, 'auditor-only')).toEqual(['payment-reviewer', 'tpp-manager']);
    expect((await rolesChanged()).slice(before.length)).toEqual([
      {
        eventId: expect.any(String),
        type: 'admin.roles-changed',
        occurredAt: expect.any(String),
        actor: { type: 'system', id: 'admin-roles' },
        data: { adminId: change.adminId, granted: ['payment-reviewer', 'tpp-manager'], revoked: ['auditor'], roles: ['payment-reviewer', 'tpp-manager'] },
      },
    ]);
  });

  it('writes and audits nothing when the admin already holds exactly the roles asked for', async () => {
    const before = await rolesChanged();
    const change = await new ChangeAdminRoles(db.dataSource).execute(new ChangeAdminRolesCommand({ username: 'auditor-only', grant: ['tpp-manager'], revoke: ['ledger-operator'] }));
    expect(change.changed).toBe(false);
    expect(await rolesChanged()).toEqual(before);
  });

  it('never leaves an admin without a role, and refuses an unknown admin or role before touching anything', async () => {
    const before = await rolesChanged();
    const change = (input: ConstructorParameters<typeof ChangeAdminRolesCommand>[0]) => new ChangeAdminRoles(db.dataSource).execute(new ChangeAdminRolesCommand(input));
    await expect(change({ username: 'auditor-only', revoke: ['payment-reviewer', 'tpp-manager'] })).rejects.toThrow(
      new AdminRolesError('auditor-only would hold no role: an admin holds at least one (remove the admin instead)'),
    );
    await expect(change({ username: 'nobody', grant: ['auditor'] })).rejects.toThrow(new AdminRolesError('no admin has the username "nobody"'));
    expect(() => new ChangeAdminRolesCommand({ username: 'auditor-only', grant: ['root'] })).toThrow(
      new AdminRolesError('unknown role "root": the roles are auditor, payment-reviewer, tpp-manager, ledger-operator'),
    );
    expect(() => new ChangeAdminRolesCommand({ username: 'auditor-only' })).toThrow(new AdminRolesError('grant or revoke at least one role'));
    expect(() => new ChangeAdminRolesCommand({ username: 'auditor-only', grant: ['auditor'], revoke: ['auditor'] })).toThrow(new AdminRolesError('auditor is both granted and revoked'));
    expect(await adminRolesOf(db.dataSource, 'auditor-only')).toEqual(['payment-reviewer', 'tpp-manager']);
    expect(await rolesChanged()).toEqual(before);
    expect(await adminRolesOf(db.dataSource, 'nobody')).toBeNull();
  });
});
