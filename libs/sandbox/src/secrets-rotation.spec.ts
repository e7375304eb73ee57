import { createCipheriv, randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LEDGER_CIPHERTEXT_COLUMNS } from '@consentry/banking';
import { loadPlatformConfig } from '@consentry/config';
import {
  CiphertextColumn,
  CredentialAuthenticator,
  currentTotpCode,
  EnvironmentKeyManagement,
  IDENTITY_CIPHERTEXT_COLUMNS,
  rotateSecrets,
  SecretsRotationError,
} from '@consentry/identity';
import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { SandboxCredentials, seedSandbox } from './seed-sandbox.js';

// What `npm run secrets:rotate` re-encrypts.
const COLUMNS: readonly CiphertextColumn[] = [...IDENTITY_CIPHERTEXT_COLUMNS, ...LEDGER_CIPHERTEXT_COLUMNS];
const A = Buffer.alloc(32, 0xa1).toString('base64');
const B = Buffer.alloc(32, 0xb2).toString('base64');
const C = Buffer.alloc(32, 0xc3).toString('base64');

/** The ring a platform configured with `env` uses. */
function keysOf(env: Record<string, string>): EnvironmentKeyManagement {
  return new EnvironmentKeyManagement(loadPlatformConfig({ DATABASE_URL: 'postgres://h/x', ...env }).secretsKeys);
}

/** The format written before key ids (`v1.<iv>.<tag>.<body>`), as existing data at rest holds it. */
function legacyV1(key: string, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

function luhnValid(pan: string): boolean {
  let sum = 0;
  for (let i = 0; i < pan.length; i++) {
    let digit = Number(pan[pan.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

describe('secrets rotation on seeded sandbox data', () => {
  let db: TestDatabase;
  let credentials: SandboxCredentials;

  async function rowsOf(column: CiphertextColumn): Promise<{ id: string; value: string }[]> {
    return db.dataSource.query(
      `SELECT ${column.idColumn}::text AS id, ${column.valueColumn} AS value FROM ${column.table}${column.where ? ` WHERE ${column.where}` : ''} ORDER BY 1`,
    );
  }

  /** Every text value in the database that looks like one of our ciphertexts, wherever it is. */
  async function ciphertextsAnywhere(): Promise<{ place: string; value: string }[]> {
    const columns: { table_name: string; column_name: string }[] = await db.dataSource.query(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying')`,
    );
    const found: { place: string; value: string }[] = [];
    for (const { table_name: table, column_name: column } of columns) {
      const rows: { value: string }[] = await db.dataSource.query(`SELECT "${column}" AS value FROM "${table}" WHERE "${column}" ~ '^v[12]\\.'`);
      for (const row of rows) found.push({ place: `${table}.${column}`, value: row.value });
    }
    return found;
  }

  beforeAll(async () => {
    db = await createTestDatabase('secrets_rotation');
    // Seeded under A as SECRETS_KEY (id `default`) ...
    credentials = await seedSandbox(db.dataSource, { keys: keysOf({ SECRETS_KEY: A }), transactionsPerAccount: 2, seed: 5 });
    // ... and the PSUs' seeds as data written before key ids: v1, under A.
    for (const psu of credentials.psus) {
      const [row] = await db.dataSource.query(`SELECT psu_id FROM psu WHERE username = $1`, [psu.username]);
      await db.dataSource.query(`UPDATE psu SET totp_secret_enc = $2 WHERE psu_id = $1`, [row.psu_id, legacyV1(A, psu.totpSecret, `psu:${row.psu_id}:totp`)]);
    }
  });
  afterAll(async () => db?.drop());

  it('finds every ciphertext at rest: each one is in a column the rotation knows', async () => {
    const known = new Set(COLUMNS.map((c) => `${c.table}.${c.valueColumn}`));
    const found = await ciphertextsAnywhere();
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((f) => !known.has(f.place))).toEqual([]);
    // The seed writes card numbers in every kind of row the ledger encrypts.
    expect(new Set(found.map((f) => f.place))).toEqual(new Set(['psu.totp_secret_enc', 'admin_user.totp_secret_enc', 'account.identification', 'beneficiary.creditor_identification']));
  });

  it('re-encrypts everything under the first key of SECRETS_KEYS=B,A; then B alone reads every seed and card number', async () => {
    const expected = await Promise.all(COLUMNS.map(async (c) => ({ table: c.table, column: c.valueColumn, reencrypted: (await rowsOf(c)).length })));
    const result = await rotateSecrets(db.dataSource, keysOf({ SECRETS_KEYS: `b:${B},default:${A}` }), COLUMNS, { batchSize: 2 });
    expect(result).toEqual({ keyId: 'b', columns: expected, reencrypted: expected.reduce((n, c) => n + c.reencrypted, 0) });

    const onlyB = keysOf({ SECRETS_KEYS: `b:${B}` });
    // Nothing is left under A, in either format, anywhere.
    expect((await ciphertextsAnywhere()).filter((f) => !f.value.startsWith('v2.b.'))).toEqual([]);
    const seeds = new Set([...credentials.psus.map((p) => p.totpSecret), credentials.admin.totpSecret, credentials.reviewer!.totpSecret]);
    for (const column of COLUMNS) {
      for (const row of await rowsOf(column)) {
        const plaintext = onlyB.decrypt(row.value, column.context(row.id));
        if (column.valueColumn === 'totp_secret_enc') expect(seeds.has(plaintext)).toBe(true);
        else expect(luhnValid(plaintext) && /^\d{16}$/.test(plaintext)).toBe(true);
      }
    }
    // A PSU and the admin still sign in, with the key B alone.
    const authenticator = new CredentialAuthenticator(db.dataSource, onlyB);
    const alice = credentials.psus[0]!;
    await expect(authenticator.authenticatePsu({ username: alice.username, password: alice.password, otp: await currentTotpCode(alice.totpSecret), ip: '192.0.2.10' })).resolves.toMatchObject({ ok: true });
    const { admin } = credentials;
    await expect(authenticator.authenticateAdmin({ username: admin.username, password: admin.password, otp: await currentTotpCode(admin.totpSecret), ip: '192.0.2.10' })).resolves.toMatchObject({ ok: true });

    // Audited with its counts, and no secret.
    const [event] = await db.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'type' = 'secrets.rotated'`);
    expect(event.event).toMatchObject({ type: 'secrets.rotated', actor: { type: 'system', id: 'secrets-rotate' }, data: { keyId: 'b', reencrypted: result.reencrypted, byColumn: expected } });
    const text = JSON.stringify(event);
    for (const secret of [A, B, ...seeds]) expect(text).not.toContain(secret);
  });

  it('is idempotent: a second run re-encrypts nothing and changes no value', async () => {
    const before = await ciphertextsAnywhere();
    const result = await rotateSecrets(db.dataSource, keysOf({ SECRETS_KEYS: `b:${B},default:${A}` }), COLUMNS);
    expect(result.reencrypted).toBe(0);
    expect(await ciphertextsAnywhere()).toEqual(before);
  });

  it('stops at a value no key reads, naming its row and not its value, and a second run finishes the rest', async () => {
    const keys = keysOf({ SECRETS_KEYS: `c:${C},b:${B}` });
    const [card] = await rowsOf(LEDGER_CIPHERTEXT_COLUMNS[0]!);
    const foreign = legacyV1(Buffer.alloc(32, 0xee).toString('base64'), '4111111111111111', `account:${card!.id}:pan`);
    await db.dataSource.query(`UPDATE account SET identification = $2 WHERE account_id = $1`, [card!.id, foreign]);
    const seedCount = (await rowsOf(IDENTITY_CIPHERTEXT_COLUMNS[0]!)).length + (await rowsOf(IDENTITY_CIPHERTEXT_COLUMNS[1]!)).length;
    const events = async (): Promise<Array<{ data: { keyId: string; reencrypted: number; stopped?: string } }>> =>
      (await db.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'type' = 'secrets.rotated' AND event->'data'->>'keyId' = 'c' ORDER BY created_seq`)).map(
        (row: { event: { data: { keyId: string; reencrypted: number; stopped?: string } } }) => row.event,
      );
    const stopped = rotateSecrets(db.dataSource, keys, COLUMNS, { batchSize: 1 });
    await expect(stopped).rejects.toThrow(SecretsRotationError);
    await expect(stopped).rejects.toThrow(
      `account.identification of account_id ${card!.id} does not decrypt (no configured key decrypts this v1 ciphertext); ${seedCount} values were re-encrypted before it`,
    );
    await expect(stopped).rejects.not.toThrow(foreign);
    // What ran before the stop stays done: the seeds are under C already.
    expect((await rowsOf(IDENTITY_CIPHERTEXT_COLUMNS[0]!)).every((r) => r.value.startsWith('v2.c.'))).toBe(true);
    // ... and is audited, with why the run stopped (until 7 December 2026 a stopped run recorded nothing).
    expect(await events()).toMatchObject([{ data: { keyId: 'c', reencrypted: seedCount, stopped: expect.stringContaining(`account_id ${card!.id} does not decrypt`) } }]);

    // The operator restores the value (here: under B again), and runs it again.
    await db.dataSource.query(`UPDATE account SET identification = $2 WHERE account_id = $1`, [card!.id, keysOf({ SECRETS_KEYS: `b:${B}` }).encrypt('4111111111111111', `account:${card!.id}:pan`)]);
    const finished = await rotateSecrets(db.dataSource, keys, COLUMNS, { batchSize: 1 });
    expect(finished.columns.slice(0, 2).map((c) => c.reencrypted)).toEqual([0, 0]);
    expect(finished.reencrypted).toBeGreaterThan(0);
    // The two runs' events count every value re-encrypted under C, once.
    const audited = (await events()).reduce((sum, event) => sum + event.data.reencrypted, 0);
    expect(audited).toBe(seedCount + finished.reencrypted);
    expect((await ciphertextsAnywhere()).filter((f) => !f.value.startsWith('v2.c.'))).toEqual([]);
    expect(keysOf({ SECRETS_KEYS: `c:${C}` }).decrypt((await rowsOf(LEDGER_CIPHERTEXT_COLUMNS[0]!)).find((r) => r.id === card!.id)!.value, `account:${card!.id}:pan`)).toBe('4111111111111111');
  });
});
