import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ROOT } from '../../../../scripts/platform.js';

/** `node scripts/check-runtime.js` with `env` added to this process's environment. */
function checkRuntime(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/check-runtime.js')], { cwd: ROOT, env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** The first step of `npm test`: what the suites need is there, or each missing piece is named with its fix. */
describe('npm test prerequisites (scripts/check-runtime.js)', () => {
  it('passes silently where PostgreSQL, Redis and Chromium are all there', async () => {
    await expect(checkRuntime({})).resolves.toEqual({ code: 0, stderr: '' });
  });

  it('names each missing one with the exact command that provides it', async () => {
    // Port 1 on loopback: nothing listens there, so both connections are refused at once.
    const { code, stderr } = await checkRuntime({
      TEST_DATABASE_SERVER_URL: 'postgres://postgres:secret-password@127.0.0.1:1/postgres',
      TEST_REDIS_URL: 'redis://127.0.0.1:1',
      CHROMIUM_PATH: join(ROOT, 'no-such-chromium'),
    });
    expect(code).toBe(1);
    expect(stderr).toContain('PostgreSQL 15+ at postgres://…@127.0.0.1:1/postgres: connect ECONNREFUSED');
    expect(stderr).toContain('sudo apt-get install -y postgresql && sudo service postgresql start');
    expect(stderr).toContain('Redis 7 at redis://127.0.0.1:1: connect ECONNREFUSED');
    expect(stderr).toContain("sudo apt-get install -y redis-server && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no");
    expect(stderr).toContain(`Chromium (the browser tests) at ${join(ROOT, 'no-such-chromium')}: no executable`);
    expect(stderr).toContain('sudo apt-get install -y chromium');
    // The database URL's password is never printed.
    expect(stderr).not.toContain('secret-password');
  });

  it('names the UK OB specifications the suites validate against when they are not there, and where to put them', async () => {
    // Until 7 December 2026 a clone without them passed this check and failed in 45 files with ENOENT.
    const elsewhere = join(ROOT, 'no-such-specs');
    const { code, stderr } = await checkRuntime({ OB_SPECS_DIR: elsewhere });
    expect(code).toBe(1);
    expect(stderr).toContain(`The UK Open Banking v4.0 specifications (never copied into the repository) at ${elsewhere}: none of the UK OB v4.0 OpenAPI files`);
    expect(stderr).toContain('in <dir>/uk-open-banking-v4.0/, with <dir> ../shared/specs beside the checkout or OB_SPECS_DIR=<dir>');
    expect(stderr).not.toContain('PostgreSQL');
  });

  it('reports only what is missing', async () => {
    const { code, stderr } = await checkRuntime({ CHROMIUM_PATH: join(ROOT, 'no-such-chromium') });
    expect(code).toBe(1);
    expect(stderr).toContain('Chromium (the browser tests)');
    expect(stderr).not.toContain('PostgreSQL');
    expect(stderr).not.toContain('Redis 7');
  });
});
