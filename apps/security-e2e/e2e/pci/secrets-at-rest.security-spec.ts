import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { LEDGER_CIPHERTEXT_COLUMNS } from '@consentry/banking';
import { CiphertextColumn, EnvironmentKeyManagement, IDENTITY_CIPHERTEXT_COLUMNS } from '@consentry/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AttackPlatform, secretsInLogs, startAttackPlatform } from '../support/attack-platform.js';

const COLUMNS: readonly CiphertextColumn[] = [...IDENTITY_CIPHERTEXT_COLUMNS, ...LEDGER_CIPHERTEXT_COLUMNS];
// The attack platform's SECRETS_KEY (startAttackPlatform), id `default`.
const PLATFORM_KEY = Buffer.alloc(32, 0x61);
// The well-known key sandbox mode falls back to.
const SANDBOX_KEY = Buffer.alloc(32, 0x5a).toString('base64');

/** Starts a built app and waits for it to exit; its exit code and what it wrote to stderr. */
function runToExit(app: 'api' | 'auth-server' | 'worker', env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const main = fileURLToPath(new URL(`../../../${app}/dist/main.js`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${app} still running after 20 s: it accepted the configuration`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** PCI DSS requirement 3 (3.5, 3.6, 3.7): stored card numbers and authentication secrets are unreadable, under managed keys. */
describe('PCI DSS 3 stored account data and keys', () => {
  let platform: AttackPlatform;

  beforeAll(async () => {
    platform = await startAttackPlatform('secrets_at_rest');
  });

  afterAll(async () => platform?.stop());

  it('keeps no card number or TOTP seed in clear in any table: each is a ciphertext naming its key', async () => {
    const keys = new EnvironmentKeyManagement(PLATFORM_KEY);
    const plaintexts: string[] = [];
    for (const column of COLUMNS) {
      const rows: { id: string; value: string }[] = await platform.db.dataSource.query(
        `SELECT ${column.idColumn}::text AS id, ${column.valueColumn} AS value FROM ${column.table}${column.where ? ` WHERE ${column.where}` : ''}`,
      );
      for (const row of rows) {
        expect(row.value.startsWith('v2.default.')).toBe(true);
        plaintexts.push(keys.decrypt(row.value, column.context(row.id)));
      }
    }
    expect(plaintexts.length).toBeGreaterThan(platform.sandbox.psus.length);
    const tables: { table_name: string }[] = await platform.db.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    for (const { table_name: table } of tables) {
      const [dump] = await platform.db.dataSource.query(`SELECT coalesce(string_agg(t::text, ' '), '') AS text FROM "${table}" t`);
      for (const plaintext of plaintexts) expect(dump.text.includes(plaintext), `${table} holds a secret in clear`).toBe(false);
    }
  });

  it('refuses to start any app in production mode with the well-known sandbox key, under SECRETS_KEY or in SECRETS_KEYS', async () => {
    const base: Record<string, string | undefined> = { ...(process.env as Record<string, string>), ...platform.env, CONSENTRY_MODE: 'production', LOG_LEVEL: 'silent' };
    delete base.SECRETS_KEY;
    delete base.SECRETS_KEYS;
    for (const app of ['api', 'auth-server', 'worker'] as const) {
      expect(await runToExit(app, { ...base, SECRETS_KEY: SANDBOX_KEY })).toEqual({
        code: 1,
        stderr: `${app}: invalid configuration: SECRETS_KEY holds the well-known sandbox key, refused in production mode\n`,
      });
      expect(await runToExit(app, { ...base, SECRETS_KEYS: `new:${PLATFORM_KEY.toString('base64')},old:${SANDBOX_KEY}` })).toEqual({
        code: 1,
        stderr: `${app}: invalid configuration: SECRETS_KEYS holds the well-known sandbox key, refused in production mode\n`,
      });
    }
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
