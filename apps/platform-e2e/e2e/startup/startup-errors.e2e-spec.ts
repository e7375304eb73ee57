import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import pg from 'pg';

import { freePort, ROOT } from '../../../../scripts/platform.js';

const APPS = [
  ['api', 'apps/api/dist/main.js', { usesRedis: true }],
  ['auth-server', 'apps/auth-server/dist/main.js', { usesRedis: true }],
  ['worker', 'apps/worker/dist/main.js', { usesRedis: true }],
] as const;

function run(main: string, env: Record<string, string | undefined>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, main)], { cwd: ROOT, env: env as NodeJS.ProcessEnv });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.stdout.on('data', (c) => (stdout += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

/** Each app refuses to start without what it needs, with one line that says what and how to fix it. */
describe('start-up errors', () => {
  let db: TestDatabase;
  let unmigratedUrl: string;
  beforeAll(async () => {
    db = await createTestDatabase('startup');
    const url = new URL(db.url);
    url.pathname = `/${db.name}_empty`;
    unmigratedUrl = url.toString();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${db.name}_empty"`);
    await admin.end();
  });
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${db.name}_empty" WITH (FORCE)`);
    await admin.end();
    await db?.drop();
  });

  const base = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' };

  // RISK_RULES_FILE is read by the two apps that score payments: the API (inline) and the worker (scheduled runs).
  describe('a bad payment-risk rules file', () => {
    let redis: TestRedis;
    let rulesFile: string;
    beforeAll(() => {
      redis = createTestRedis('startup-rules');
      rulesFile = join(mkdtempSync(join(tmpdir(), 'risk-rules-')), 'rules.yaml');
      writeFileSync(
        rulesFile,
        [
          'thresholds: { hold: 50, reject: 100 }',
          'rules:',
          '  - { name: burst, kind: velocity, params: { per: psu, windowMinutes: 10, maxCount: 5 }, weight: 50, action: hold }',
          '  - { name: usual, kind: amount-multiple, params: { multiple: 0.5, minHistory: 3 }, weight: 20, action: block }',
          '  - { name: usual, kind: teleport, weight: 1, action: score }',
          '',
        ].join('\n'),
      );
    });
    afterAll(async () => redis?.cleanup());

    for (const [name, main] of [APPS[0], APPS[2]] as const) {
      it(`stops ${name} with one line per error, each naming its place`, async () => {
        const result = await run(main, {
          ...base,
          DATABASE_URL: db.url,
          REDIS_URL: redis.url,
          REDIS_PREFIX: redis.prefix,
          API_PORT: '0',
          WORKER_PORT: '0',
          RISK_RULES_FILE: rulesFile,
        });
        expect(result.code).toBe(1);
        expect(result.stderr.trim().split('\n')).toEqual([
          `${name}: failed to start: ${rulesFile}: invalid risk rules`,
          '  rules[0].params.per: must be debtor-account or tpp',
          '  rules[1].action: must be one of reject, hold, score',
          '  rules[1].params.multiple: must be a number greater than 1 and at most 1000',
          '  rules[2].name: "usual" is used by an earlier rule',
          '  rules[2].kind: must be one of deny-list, new-payee, velocity, new-tpp, amount-multiple, unusual-hour, failed-sign-ins, lockout-today',
        ]);
      });
    }
  });

  for (const [name, main, { usesRedis }] of APPS) {
    describe(name, () => {
      it('names DATABASE_URL when it is missing', async () => {
        const result = await run(main, { ...base });
        expect(result.code).toBe(1);
        expect(result.stderr.trim()).toBe(`${name}: invalid configuration: DATABASE_URL is required but not set`);
      });

      it.runIf(usesRedis)('says Redis is unreachable and how to start it', async () => {
        const port = await freePort();
        const result = await run(main, { ...base, DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${port}`, API_PORT: '0', AUTH_SERVER_PORT: '0', WORKER_PORT: '0' });
        expect(result.code).toBe(1);
        const lines = result.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^${name}: cannot reach Redis at redis://127.0.0.1:${port}.*redis-server`));
      });

      it('refuses an unmigrated schema', async () => {
        const result = await run(main, { ...base, DATABASE_URL: unmigratedUrl, API_PORT: '0', AUTH_SERVER_PORT: '0', WORKER_PORT: '0' });
        expect(result.code).toBe(1);
        expect(result.stderr.trim()).toMatch(new RegExp(`^${name}: database schema is not migrated: run \`npm run db:migrate\``));
      });
    });
  }
});
