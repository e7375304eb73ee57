import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, ROOT } from '../../../../scripts/platform.js';

const LAST_LINE = 'Walk a consent journey against it: npm run demo';
const MAIL_CATCHER_LINE = '  Alert emails (maildev)      ';

/** Runs `node scripts/start.js` (what `npm start` runs after the build) and collects its lines until it has started. */
function startPlatform(env: Record<string, string | undefined>): { child: ChildProcess; started: Promise<string[]> } {
  const child = spawn(process.execPath, [join(ROOT, 'scripts/start.js')], { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const started = new Promise<string[]>((resolve, reject) => {
    let pending = '';
    const onData = (chunk: Buffer) => {
      pending += chunk.toString();
      const complete = pending.split('\n');
      pending = complete.pop()!;
      lines.push(...complete);
      if (complete.includes(LAST_LINE)) resolve(lines);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start ended (${code}) before it started:\n${lines.join('\n')}${pending}`)));
  });
  return { child, started };
}

/** The first line an SMTP server sends on a new connection (its 220 greeting, RFC 5321 4.2). */
function smtpGreeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no SMTP greeting on port ${port} within 5 s`)));
    socket.once('error', reject);
    socket.once('data', (chunk) => {
      socket.end('QUIT\r\n');
      resolve(chunk.toString().split('\r\n')[0]);
    });
  });
}

/** `npm start` for a newcomer: what they need (URLs, credentials) comes first, not the framework's chatter. */
describe('npm start output', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let dataDir: string;
  let child: ChildProcess | undefined;
  let lines: string[];
  let ports: number[];
  // maildev's SMTP and web ports: free ones (MAILDEV_SMTP_PORT, MAILDEV_WEB_PORT), never 1025 and 1080,
  // which a developer's own `npm start` on this machine holds (until 7 December 2026 they were fixed).
  let mailPorts: { smtp: number; web: number };

  beforeAll(async () => {
    db = await createTestDatabase('start_output');
    redis = createTestRedis('start_output');
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-start-output-'));
    ports = [await freePort(), await freePort(), await freePort()];
    mailPorts = { smtp: await freePort(), web: await freePort() };
    const started = startPlatform({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      CONSENTRY_DATA_DIR: dataDir,
      API_PORT: String(ports[0]),
      AUTH_SERVER_PORT: String(ports[1]),
      WORKER_PORT: String(ports[2]),
      MAILDEV_SMTP_PORT: String(mailPorts.smtp),
      MAILDEV_WEB_PORT: String(mailPorts.web),
    });
    child = started.child;
    lines = await started.started;
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await redis?.cleanup();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the URLs and every sandbox credential within its first 30 lines', () => {
    const first = lines.slice(0, 30);
    expect(first).toContain('Consentry is running');
    expect(first).toContain(`  API (UK Open Banking v4.0)  http://localhost:${ports[0]}/open-banking/v4.0/aisp`);
    expect(first).toContain(`  Authorization server        http://localhost:${ports[1]}/.well-known/openid-configuration`);
    expect(first).toContain(`${MAIL_CATCHER_LINE}http://localhost:${mailPorts.web}`);
    expect(first).toContain(`  API documentation (OpenAPI) http://localhost:${ports[0]}/docs`);
    expect(first).toContain(`  Customer dashboard          http://localhost:${ports[0]}/dashboard`);
    expect(first).toContain(`  Admin console               http://localhost:${ports[0]}/admin-console`);
    expect(first).toContain(`  Health and metrics          /health/live, /health/ready and /metrics on each app's port (worker: http://localhost:${ports[2]})`);
    for (const name of ['alice', 'bob', 'carol']) {
      expect(first.some((line) => new RegExp(`^  PSU ${name} +password \\S+  TOTP secret [A-Z2-7]+  \\(\\d accounts\\)$`).test(line)), name).toBe(true);
    }
    expect(first.some((line) => /^ {2}Admin admin {2}password \S+ {2}TOTP secret [A-Z2-7]+$/.test(line))).toBe(true);
    expect(first.some((line) => line.startsWith('  TPP client_id sandbox-tpp  private keys (client authentication, message signing ') && line.endsWith(`) in ${dataDir}/sandbox/tpp.json`))).toBe(true);
    expect(first).toContain(LAST_LINE);
  });

  it('runs maildev at the printed address, whose REST API answers with the inbox', async () => {
    const line = lines.find((candidate) => candidate.startsWith(MAIL_CATCHER_LINE));
    expect(line, 'the maildev line').toBeDefined();
    const webUrl = line!.slice(MAIL_CATCHER_LINE.length);
    // maildev 3 serves its REST API under /api (GET /email is a 404 there).
    const response = await fetch(`${webUrl}/api/email`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Array.isArray(await response.json())).toBe(true);
  });

  it("runs maildev's SMTP server on MAILDEV_SMTP_PORT, where the sandbox sends alert emails", async () => {
    expect(await smtpGreeting(mailPorts.smtp)).toMatch(/^220 /);
  });

  it("writes the apps' lines readable (pretty), without Nest's route mappings", () => {
    const appLines = lines.filter((line) => /^\[(api|auth-server|worker)\] /.test(line));
    expect(appLines.length).toBeGreaterThan(0);
    for (const line of appLines) expect(line).toMatch(/^\[(api|auth-server|worker)\] \[\d\d:\d\d:\d\d\] (INFO|WARN|ERROR): /);
    expect(lines.filter((line) => line.includes('Mapped {'))).toEqual([]);
  });

  it('stops quietly on SIGTERM: no app is reported stopped as though it had failed', async () => {
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Until 7 December 2026 each app's exit during the stop printed "an app stopped (…); stopping the platform".
    expect(lines.filter((line) => line.startsWith('an app stopped'))).toEqual([]);
  });
});
