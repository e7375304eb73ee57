import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, ROOT, startEmbeddedPostgres } from '../../../../scripts/platform.js';

/** `node scripts/<script>` with `env` added; its exit code and what it wrote to stderr. */
function run(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', script)], { cwd: ROOT, env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/**
 * A newcomer's two commonest mistakes say what is wrong (a probe of 7 December 2026 got "consentry:
 * undefined" and "demo: fetch failed"): a second `npm start` on data whose embedded PostgreSQL port is
 * taken, and `npm run demo` with no platform running.
 */
describe('npm start and npm run demo say why they cannot go on', () => {
  let dataDir: string;
  let holder: Server;
  let heldPort: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-start-failures-'));
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    heldPort = (holder.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => holder?.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('names the embedded PostgreSQL port in use and what to do, before initialising anything', async () => {
    const previous = process.env.EMBEDDED_POSTGRES_PORT;
    process.env.EMBEDDED_POSTGRES_PORT = String(heldPort);
    try {
      await expect(startEmbeddedPostgres(dataDir, () => undefined)).rejects.toThrow(
        `port ${heldPort}, the embedded PostgreSQL's, is in use: is another \`npm start\` running on ${dataDir}? Stop it, or give this copy its own CONSENTRY_DATA_DIR and EMBEDDED_POSTGRES_PORT`,
      );
    } finally {
      if (previous === undefined) delete process.env.EMBEDDED_POSTGRES_PORT;
      else process.env.EMBEDDED_POSTGRES_PORT = previous;
    }
  });

  it('names the URL that does not answer when the demo runs without a platform', async () => {
    const apiPort = await freePort();
    const { code, stderr } = await run('demo.js', { API_PORT: String(apiPort), AUTH_SERVER_PORT: String(await freePort()), CONSENTRY_DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `demo: nothing answers at http://localhost:${apiPort}/health/live (the API): start the platform first with \`npm start\`, with the same API_PORT, AUTH_SERVER_PORT or URLs as this run`,
    );
  });
});
