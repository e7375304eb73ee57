// What `npm test` needs besides Node and node_modules: the PostgreSQL and Redis the suites create their
// databases and key prefixes on, the Chromium the browser tests drive, and the official UK OB v4.0
// OpenAPI files the suites validate against. Each missing one is reported
// with the exact command that provides it, before a build or a suite starts. Run by check-runtime.js.
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

const TIMEOUT_MS = 3000;

/** The places the test suites use, from the same variables (README: "Tests, benches and tools"). */
export function prerequisiteTargets(env = process.env) {
  return {
    databaseUrl: env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    chromiumPath: env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // As libs/testing's ob-spec.ts reads them: ../shared/specs beside the checkout, or OB_SPECS_DIR.
    obSpecsDir: env.OB_SPECS_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/specs'),
  };
}

// The official files the suites validate every request and answer against (libs/testing `ob-spec.ts`).
const OB_SPEC_FILES = ['account-info', 'payment-initiation', 'confirmation-funds', 'vrp', 'events', 'event-notifications'].map((name) => `uk-open-banking-v4.0/${name}-openapi.yaml`);

function obSpecsProblem(dir) {
  const absent = OB_SPEC_FILES.filter((file) => {
    try {
      accessSync(`${dir}/${file}`, constants.R_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (absent.length === 0) return null;
  return absent.length === OB_SPEC_FILES.length ? 'none of the UK OB v4.0 OpenAPI files the suites validate against' : `missing ${absent.join(', ')}`;
}

async function postgresProblem(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: TIMEOUT_MS });
  try {
    await client.connect();
    const [{ can }] = (await client.query(`SELECT rolcreatedb OR rolsuper AS can FROM pg_roles WHERE rolname = current_user`)).rows;
    return can ? null : 'connects, but its role may not CREATE DATABASE (each suite creates its own)';
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

function redisProblem(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    const done = (problem) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(TIMEOUT_MS, () => done('no answer'));
    socket.on('error', (error) => done(error.message));
    socket.on('connect', () => socket.write('PING\r\n'));
    // `-NOAUTH` and friends still prove a Redis is there; only the suites can say whether they may use it.
    socket.on('data', (data) => done(/^[+-]/.test(data.toString()) ? null : 'not a Redis'));
  });
}

function chromiumProblem(path) {
  try {
    accessSync(path, constants.X_OK);
    return null;
  } catch {
    return `no executable at ${path}`;
  }
}

/**
 * Checks each prerequisite; resolves to the missing ones, each with what went wrong and the command
 * that provides it (Debian and Ubuntu, as CI runs; the README lists them beside `npm test`).
 */
export async function missingPrerequisites(env = process.env) {
  const { databaseUrl, redisUrl, chromiumPath, obSpecsDir } = prerequisiteTargets(env);
  const [postgres, redis] = await Promise.all([postgresProblem(databaseUrl), redisProblem(redisUrl)]);
  const chromium = chromiumProblem(chromiumPath);
  const obSpecs = obSpecsProblem(obSpecsDir);
  const missing = [];
  if (postgres !== null) {
    missing.push({
      name: 'PostgreSQL 15+',
      where: databaseUrl.replace(/\/\/[^@/]*@/, '//…@'),
      problem: postgres,
      command: "sudo apt-get install -y postgresql && sudo service postgresql start && sudo -u postgres psql -c \"ALTER USER postgres PASSWORD 'postgres'\"  # then TEST_DATABASE_SERVER_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres",
    });
  }
  if (redis !== null) {
    missing.push({
      name: 'Redis 7',
      where: redisUrl,
      problem: redis,
      command: "sudo apt-get install -y redis-server && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
    });
  }
  if (chromium !== null) {
    missing.push({
      name: 'Chromium (the browser tests)',
      where: chromiumPath,
      problem: chromium,
      command: 'sudo apt-get install -y chromium  # or set CHROMIUM_PATH to an installed Chromium; never `npx playwright install`',
    });
  }
  if (obSpecs !== null) {
    missing.push({
      name: 'The UK Open Banking v4.0 specifications (never copied into the repository)',
      where: obSpecsDir,
      problem: obSpecs,
      command:
        "put OBIE's v4.0 read-write API OpenAPI files (account-info-, payment-initiation-, confirmation-funds-, vrp-, events- and event-notifications-openapi.yaml) in <dir>/uk-open-banking-v4.0/, with <dir> ../shared/specs beside the checkout or OB_SPECS_DIR=<dir>",
    });
  }
  return missing;
}
