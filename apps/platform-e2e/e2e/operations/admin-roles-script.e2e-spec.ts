import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EnvironmentKeyManagement } from '@consentry/identity';
import { seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { ROOT } from '../../../../scripts/platform.js';

const execFileAsync = promisify(execFile);

interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node scripts/admin-roles.js ...` as an operator runs it (npm run admin:roles), with only `env` set. */
async function adminRoles(env: Record<string, string>, ...args: string[]): Promise<ScriptRun> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [join(ROOT, 'scripts/admin-roles.js'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as ScriptRun;
    return { code, stdout, stderr };
  }
}

describe('npm run admin:roles', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('admin_roles_script');
    await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(Buffer.alloc(32, 0x5a)), transactionsPerAccount: 1, seed: 3 });
    env = { DATABASE_URL: db.url };
  });
  afterAll(async () => db?.drop());

  const rolesChanged = async (): Promise<Array<{ event: unknown }>> =>
    db.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'type' = 'admin.roles-changed' ORDER BY created_seq`);

  it('shows an admin’s roles, grants and revokes them with one audit event per change, and says what changed', async () => {
    expect(await adminRoles(env, 'reviewer')).toEqual({ code: 0, stdout: 'reviewer: payment-reviewer\n', stderr: '' });
    expect(await adminRoles(env, 'reviewer', '--grant', 'auditor', '--grant', 'tpp-manager')).toEqual({
      code: 0,
      stdout: 'reviewer: auditor, payment-reviewer, tpp-manager (was payment-reviewer)\n',
      stderr: '',
    });
    expect(await adminRoles(env, 'reviewer', '--revoke', 'tpp-manager', '--revoke', 'auditor')).toEqual({ code: 0, stdout: 'reviewer: payment-reviewer (was auditor, payment-reviewer, tpp-manager)\n', stderr: '' });
    const again = await adminRoles(env, 'reviewer', '--grant', 'payment-reviewer', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ username: 'reviewer', adminId: expect.any(String), before: ['payment-reviewer'], roles: ['payment-reviewer'], changed: false });

    const [{ admin_id: reviewerId }] = await db.dataSource.query(`SELECT admin_id FROM admin_user WHERE username = 'reviewer'`);
    expect((await rolesChanged()).map((row) => row.event)).toMatchObject([
      { actor: { type: 'system', id: 'admin-roles' }, data: { adminId: reviewerId, granted: ['auditor', 'tpp-manager'], revoked: [], roles: ['auditor', 'payment-reviewer', 'tpp-manager'] } },
      { actor: { type: 'system', id: 'admin-roles' }, data: { adminId: reviewerId, granted: [], revoked: ['auditor', 'tpp-manager'], roles: ['payment-reviewer'] } },
    ]);
  });

  it('refuses to leave an admin without a role, an unknown role and an unknown admin, with exit code 2 and nothing changed', async () => {
    const before = await rolesChanged();
    expect(await adminRoles(env, 'reviewer', '--revoke', 'payment-reviewer')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'admin:roles: reviewer would hold no role: an admin holds at least one (remove the admin instead)\n',
    });
    expect(await adminRoles(env, 'reviewer', '--grant', 'superuser')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'admin:roles: unknown role "superuser": the roles are auditor, payment-reviewer, tpp-manager, ledger-operator\n',
    });
    expect(await adminRoles(env, 'nobody', '--grant', 'auditor')).toEqual({ code: 2, stdout: '', stderr: 'admin:roles: no admin has the username "nobody"\n' });
    expect(await adminRoles(env, 'nobody')).toEqual({ code: 2, stdout: '', stderr: 'admin:roles: no admin has the username "nobody"\n' });
    expect((await adminRoles(env)).code).toBe(2);
    expect(await db.dataSource.query(`SELECT username, roles FROM admin_user ORDER BY username`)).toEqual([
      { username: 'admin', roles: ['auditor', 'payment-reviewer', 'tpp-manager', 'ledger-operator'] },
      { username: 'reviewer', roles: ['payment-reviewer'] },
    ]);
    expect(await rolesChanged()).toEqual(before);
  });

  it('finds the embedded database of `npm start` when DATABASE_URL is unset', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'consentry-admin-roles-'));
    try {
      await writeFile(join(dataDir, 'embedded-postgres.json'), JSON.stringify({ url: db.url }));
      expect(await adminRoles({ CONSENTRY_DATA_DIR: dataDir }, 'admin')).toEqual({ code: 0, stdout: 'admin: auditor, payment-reviewer, tpp-manager, ledger-operator\n', stderr: '' });
      await rm(join(dataDir, 'embedded-postgres.json'));
      const missing = await adminRoles({ CONSENTRY_DATA_DIR: dataDir }, 'admin');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('DATABASE_URL is not set');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
