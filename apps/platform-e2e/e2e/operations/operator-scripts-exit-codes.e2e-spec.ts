import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// audit-verify.js documents: exit 0 intact, 1 broken (tamper evidence), 2 could not verify.
// secrets-rotate.js documents: exit 0 done, 2 failed. Until 7 December 2026 a mistyped option exited 1,
// and a checkpoint folder that was a file read as a broken trail.
const SCRIPTS = resolve(import.meta.dirname, '../../../../scripts');

function run(args: string[], script = 'audit-verify.js'): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(SCRIPTS, script), ...args], {
    cwd: resolve(import.meta.dirname, '../../../..'),
    // No database is needed to reach the failures below; a URL nothing listens on keeps it that way.
    env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('audit:verify: an operator mistake is "could not verify" (2), never "broken" (1)', () => {
  let dir: string;
  let keyFile: string;
  let notADirectory: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-verify-exit-'));
    const { publicKey } = await generateKeyPair('ES256');
    keyFile = join(dir, 'key.pub.json');
    writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(publicKey)), alg: 'ES256' }));
    notADirectory = join(dir, 'checkpoints-file');
    writeFileSync(notADirectory, 'not a folder');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 for a mistyped option', () => {
    const { status } = run(['--from-sequence', '5']);
    expect(status).toBe(2);
  });

  it('exits 2 for an option missing its value', () => {
    const { status } = run(['--from-seq']);
    expect(status).toBe(2);
  });

  it('exits 2, without calling the trail BROKEN, when --checkpoints names a file rather than a folder', () => {
    const { status, stdout } = run(['--checkpoints', notADirectory, '--checkpoint-key', keyFile]);
    expect(stdout).not.toMatch(/BROKEN/);
    expect(status).toBe(2);
  });
});

describe('secrets:rotate: a command-line mistake exits 2 ("failed"), as documented', () => {
  it('exits 2 for a mistyped option, before touching the database', () => {
    const { status } = run(['--batchsize', '10'], 'secrets-rotate.js');
    expect(status).toBe(2);
  });
});
