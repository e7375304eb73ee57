import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ensureSandbox } from '../../../../scripts/platform.js';

/** `npm start` on a .data seeded before payment monitoring and alerts: brought up to date, not reseeded. */
describe('a start on a .data from before payment monitoring', () => {
  let db: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('start_sandbox_upgrade');
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-start-upgrade-'));
    env = { CONSENTRY_MODE: 'sandbox', DATABASE_URL: db.url, CONSENTRY_DATA_DIR: dataDir };
    const first = await ensureSandbox(env, () => undefined);
    expect(first.seeded).toBe(true);
    // What an older release left behind.
    const sandbox = join(dataDir, 'sandbox');
    await rm(join(sandbox, 'deny-list.json'));
    await rm(join(sandbox, 'reviewer.json'));
    await db.dataSource.query(`DELETE FROM admin_user WHERE username = 'reviewer'`);
    const psus = JSON.parse(await readFile(join(sandbox, 'psus.json'), 'utf8')) as Array<Record<string, unknown>>;
    await writeFile(join(sandbox, 'psus.json'), JSON.stringify(psus.map(({ email: _email, ...psu }) => psu)));
    await db.dataSource.query(`UPDATE psu SET email = NULL`);
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('adds the deny-list, the reviewer and the PSU emails, says so, and a second start says nothing', async () => {
    const lines: string[] = [];
    const { credentials, seeded } = await ensureSandbox(env, (line: string) => lines.push(line));
    expect(seeded).toBe(false);
    const sandbox = join(dataDir, 'sandbox');
    expect(lines).toEqual([
      `sandbox upgraded: wrote ${join(sandbox, 'deny-list.json')} with the sandbox's deny-listed creditor`,
      `sandbox upgraded: created the admin 'reviewer' (four-eyes reviews) and wrote ${join(sandbox, 'reviewer.json')}`,
      `sandbox upgraded: gave alice, bob, carol an email in ${join(sandbox, 'psus.json')}`,
    ]);
    expect(existsSync(join(sandbox, 'deny-list.json'))).toBe(true);
    expect(credentials.reviewer).toEqual(JSON.parse(await readFile(join(sandbox, 'reviewer.json'), 'utf8')));
    // The reviewer it adds decides payment reviews only; the admin already there keeps every role.
    expect(await db.dataSource.query(`SELECT username, roles FROM admin_user ORDER BY username`)).toEqual([
      { username: 'admin', roles: ['auditor', 'payment-reviewer', 'tpp-manager', 'ledger-operator'] },
      { username: 'reviewer', roles: ['payment-reviewer'] },
    ]);
    expect(credentials.psus.map((psu: { email: string }) => psu.email)).toEqual([
      'alice@sandbox.consentry.localhost',
      'bob@sandbox.consentry.localhost',
      'carol@sandbox.consentry.localhost',
    ]);

    const again: string[] = [];
    const second = await ensureSandbox(env, (line: string) => again.push(line));
    expect(again).toEqual([]);
    expect(second.credentials).toEqual(credentials);
  });
});
