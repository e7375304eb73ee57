import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CredentialAuthenticator, currentTotpCode, EnvironmentKeyManagement } from '@consentry/identity';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  readSandboxCredentials,
  SandboxCredentials,
  sandboxFiles,
  seedSandbox,
  upgradeSandboxMonitoring,
  writeSandboxCredentials,
} from './seed-sandbox.js';

const keys = new EnvironmentKeyManagement(Buffer.alloc(32, 5));

describe('upgradeSandboxMonitoring: a .data from before payment monitoring and alerts', () => {
  let db: TestDatabase;
  let dataDir: string;
  let seeded: SandboxCredentials;
  let untouchedFiles: Record<string, string>;
  let untouchedRows: unknown;

  /** Every file of the sandbox that exists, by name. */
  async function sandboxFileContents(): Promise<Record<string, string>> {
    const files = sandboxFiles(dataDir);
    const contents: Record<string, string> = {};
    for (const [name, path] of Object.entries(files)) if (name !== 'dir' && existsSync(path)) contents[name] = await readFile(path, 'utf8');
    return contents;
  }
  // The reviewer signs in with the credentials reviewer.json holds (password and a current one-time code).
  const reviewerSignsIn = async (reviewer: { password: string; totpSecret: string }): Promise<boolean> =>
    (await new CredentialAuthenticator(db.dataSource, keys).authenticateAdmin({ username: 'reviewer', password: reviewer.password, otp: await currentTotpCode(reviewer.totpSecret), ip: '127.0.0.1' })).ok;

  const upgrade = async () => upgradeSandboxMonitoring(db.dataSource, dataDir, (await readSandboxCredentials(dataDir))!, { keys });
  const adminRows = () => db.dataSource.query(`SELECT admin_id, username, password_hash, totp_secret_enc FROM admin_user ORDER BY username`);
  const psuRows = () => db.dataSource.query(`SELECT username, email FROM psu ORDER BY username`);

  beforeAll(async () => {
    db = await createTestDatabase('sandbox_monitoring_upgrade');
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-monitoring-upgrade-'));
    seeded = await seedSandbox(db.dataSource, { keys, transactionsPerAccount: 5, seed: 4 });
    await writeSandboxCredentials(dataDir, seeded);
    // Back to the shape an older start left: no deny-list, no reviewer (file or row), PSUs without email.
    const files = sandboxFiles(dataDir);
    await rm(files.denyList);
    await rm(files.reviewer);
    await db.dataSource.query(`DELETE FROM admin_user WHERE username = 'reviewer'`);
    await writeFile(files.psus, `${JSON.stringify(seeded.psus.map(({ email: _email, ...psu }) => psu), null, 2)}\n`);
    await db.dataSource.query(`UPDATE psu SET email = NULL`);
    untouchedFiles = await sandboxFileContents();
    untouchedRows = await db.dataSource.query(
      `SELECT (SELECT json_agg(p ORDER BY username) FROM (SELECT psu_id, username, password_hash, totp_secret_enc FROM psu) p) AS psus,
              (SELECT json_agg(a) FROM (SELECT * FROM admin_user) a) AS admins,
              (SELECT json_agg(t) FROM (SELECT client_id, roles, client_metadata FROM tpp) t) AS tpps,
              (SELECT json_agg(x ORDER BY party_id) FROM (SELECT party_id, email_address FROM party) x) AS parties,
              (SELECT count(*)::int FROM transaction) AS transactions`,
    );
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes the deny-list, creates the reviewer and gives each PSU its email, without reseeding', async () => {
    const { credentials, upgraded, skipped } = await upgrade();
    const files = sandboxFiles(dataDir);
    expect(upgraded).toEqual([
      `wrote ${files.denyList} with the sandbox's deny-listed creditor`,
      `created the admin 'reviewer' (four-eyes reviews) and wrote ${files.reviewer}`,
      `gave alice, bob, carol an email in ${files.psus}`,
    ]);
    expect(skipped).toEqual([]);

    expect(JSON.parse(await readFile(files.denyList, 'utf8'))).toEqual([{ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '60000099999999' }]);

    // The reviewer signs in with what reviewer.json holds: the row and the file belong together.
    const reviewer = JSON.parse(await readFile(files.reviewer, 'utf8'));
    expect(reviewer).toEqual({ username: 'reviewer', password: expect.any(String), totpSecret: expect.any(String) });
    expect(reviewer.password).not.toBe(seeded.reviewer!.password);
    expect(credentials.reviewer).toEqual(reviewer);
    expect(await reviewerSignsIn(reviewer)).toBe(true);
    // As a fresh seed makes it: four-eyes reviews and nothing else.
    expect(await db.dataSource.query(`SELECT roles FROM admin_user WHERE username = 'reviewer'`)).toEqual([{ roles: ['payment-reviewer'] }]);

    // psus.json is what a fresh seed writes, key order included; the rows carry the same addresses.
    expect(await readFile(files.psus, 'utf8')).toBe(`${JSON.stringify(seeded.psus, null, 2)}\n`);
    expect(credentials.psus).toEqual(seeded.psus);
    expect(await psuRows()).toEqual([
      { username: 'alice', email: 'alice@sandbox.consentry.localhost' },
      { username: 'bob', email: 'bob@sandbox.consentry.localhost' },
      { username: 'carol', email: 'carol@sandbox.consentry.localhost' },
    ]);

    // Nothing else changed: the other files, the PSUs' credentials, the admin, the TPP, the ledger.
    const after = await sandboxFileContents();
    for (const name of ['tpp', 'admin']) expect(after[name]).toBe(untouchedFiles[name]);
    const [rows] = await db.dataSource.query(
      `SELECT (SELECT json_agg(p ORDER BY username) FROM (SELECT psu_id, username, password_hash, totp_secret_enc FROM psu) p) AS psus,
              (SELECT json_agg(a) FROM (SELECT * FROM admin_user WHERE username <> 'reviewer') a) AS admins,
              (SELECT json_agg(t) FROM (SELECT client_id, roles, client_metadata FROM tpp) t) AS tpps,
              (SELECT json_agg(x ORDER BY party_id) FROM (SELECT party_id, email_address FROM party) x) AS parties,
              (SELECT count(*)::int FROM transaction) AS transactions`,
    );
    expect([rows]).toEqual(untouchedRows);
  });

  it('changes nothing on a second run', async () => {
    const files = await sandboxFileContents();
    const [admins, psus] = [await adminRows(), await psuRows()];
    const { upgraded, skipped, credentials } = await upgrade();
    expect(upgraded).toEqual([]);
    expect(skipped).toEqual([]);
    expect(await sandboxFileContents()).toEqual(files);
    expect(await adminRows()).toEqual(admins);
    expect(await psuRows()).toEqual(psus);
    expect(credentials).toEqual(await readSandboxCredentials(dataDir));
  });

  it("keeps the user's own edits: an emptied deny-list, an email of their own in the file or in the row", async () => {
    const files = sandboxFiles(dataDir);
    await writeFile(files.denyList, '[]\n');
    const psus = JSON.parse(await readFile(files.psus, 'utf8'));
    psus[0].email = 'alice@example.com';
    delete psus[1].email;
    await writeFile(files.psus, JSON.stringify(psus));
    await db.dataSource.query(`UPDATE psu SET email = 'bob@example.com' WHERE username = 'bob'`);

    const { upgraded, skipped } = await upgrade();
    expect(upgraded).toEqual([`gave bob an email in ${files.psus}`]);
    expect(skipped).toEqual([]);
    expect(await readFile(files.denyList, 'utf8')).toBe('[]\n');
    // Bob's file shows where his alerts already go; Alice's row is not the file's to change.
    expect(JSON.parse(await readFile(files.psus, 'utf8')).map((psu: { email: string }) => psu.email)).toEqual([
      'alice@example.com',
      'bob@example.com',
      'carol@sandbox.consentry.localhost',
    ]);
    expect(await psuRows()).toEqual([
      { username: 'alice', email: 'alice@sandbox.consentry.localhost' },
      { username: 'bob', email: 'bob@example.com' },
      { username: 'carol', email: 'carol@sandbox.consentry.localhost' },
    ]);
  });

  it('creates the reviewer row from reviewer.json when only the row is missing', async () => {
    const reviewer = JSON.parse(await readFile(sandboxFiles(dataDir).reviewer, 'utf8'));
    await db.dataSource.query(`DELETE FROM admin_user WHERE username = 'reviewer'`);
    const { upgraded } = await upgrade();
    expect(upgraded).toEqual([`created the admin 'reviewer' from ${sandboxFiles(dataDir).reviewer}`]);
    expect(JSON.parse(await readFile(sandboxFiles(dataDir).reviewer, 'utf8'))).toEqual(reviewer);
    expect(await reviewerSignsIn(reviewer)).toBe(true);
  });

  it('leaves a reviewer row without its file as it is, and says so', async () => {
    const files = sandboxFiles(dataDir);
    await rm(files.reviewer);
    const admins = await adminRows();
    const { upgraded, skipped, credentials } = await upgrade();
    expect(upgraded).toEqual([]);
    expect(skipped).toEqual([`the admin 'reviewer' exists but ${files.reviewer} is missing: four-eyes reviews need a second admin you can sign in as`]);
    expect(existsSync(files.reviewer)).toBe(false);
    expect(credentials.reviewer).toBeUndefined();
    expect(await adminRows()).toEqual(admins);
  });
});
