import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CredentialAuthenticator, currentTotpCode, EnvironmentKeyManagement } from '@consentry/identity';
import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { panContext } from '@consentry/banking';

import { isSandboxSeeded, seedSandbox, SandboxCredentials } from './seed-sandbox.js';

const keys = new EnvironmentKeyManagement(Buffer.alloc(32, 3));

describe('seedSandbox', () => {
  let db: TestDatabase;
  let credentials: SandboxCredentials;
  beforeAll(async () => {
    db = await createTestDatabase('sandbox');
    credentials = await seedSandbox(db.dataSource, { keys, transactionsPerAccount: 100, seed: 1 });
  });
  afterAll(async () => db?.drop());

  it('seeds two banks, three PSUs and a few hundred transactions each', async () => {
    const [counts] = await db.dataSource.query(
      `SELECT (SELECT count(*) FROM aspsp)::int AS banks, (SELECT count(*) FROM psu)::int AS psus,
              (SELECT min(n) FROM (SELECT count(*)::int AS n FROM transaction t JOIN account a USING (account_id) GROUP BY a.psu_id) x) AS min_tx`,
    );
    expect(counts).toEqual({ banks: 2, psus: 3, min_tx: 200 });
    expect(await isSandboxSeeded(db.dataSource)).toBe(true);
  });

  it('issues credentials that pass two-factor login', async () => {
    const alice = credentials.psus[0]!;
    const authenticator = new CredentialAuthenticator(db.dataSource, keys);
    const outcome = await authenticator.authenticatePsu({ username: alice.username, password: alice.password, otp: await currentTotpCode(alice.totpSecret), ip: '127.0.0.1' });
    expect(outcome.ok).toBe(true);
  });

  it('stores no secret in clear and keeps the TPP private key out of the database', async () => {
    const dump = JSON.stringify(await db.dataSource.query(`SELECT * FROM psu`)) + JSON.stringify(await db.dataSource.query(`SELECT * FROM tpp`));
    for (const psu of credentials.psus) {
      expect(dump).not.toContain(psu.password);
      expect(dump).not.toContain(psu.totpSecret);
    }
    for (const key of credentials.tpp.jwks.keys) expect(dump).not.toContain(String(key.d));
    expect(credentials.tpp.jwks.keys.map((key) => key.alg)).toEqual(['ES256', 'PS256']);
  });

  it('stores card numbers encrypted', async () => {
    const [card] = await db.dataSource.query(`SELECT account_id, identification FROM account WHERE scheme_name = 'UK.OBIE.PAN'`);
    expect(card.identification).not.toMatch(/^\d+$/);
    expect(keys.decrypt(card.identification, panContext(card.account_id))).toMatch(/^411111\d{10}$/);
  });
});
