import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { findFreePort } from './free-port.js';
import { waitForExit, waitUntilAnswering } from './server-process.js';

/** A PostgreSQL server of the test's own, for fault drills: it may be stopped, killed and restarted. */
export interface PrivatePostgres {
  /** Server URL of the `postgres` database (superuser `postgres`, trust auth, loopback only). */
  url: string;
  port: number;
  /** Fast shutdown (SIGINT): open transactions roll back, the server stops cleanly. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and data directory. */
  start(): Promise<void>;
  /** SIGKILL to the postmaster and its backends: a crash, recovered from WAL on the next start. */
  kill(): Promise<void>;
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
}

export interface PrivatePostgresOptions {
  /** Folder holding initdb and postgres; default PRIVATE_PG_BIN_DIR, else the newest /usr/lib/postgresql/N/bin, else PATH. */
  binDir?: string;
  /**
   * Make this server a streaming replica (hot standby) of `primary`: its data directory is a
   * pg_basebackup of the primary with `-R` (standby.signal and primary_conninfo), so it replays the
   * primary's WAL as it is written and answers reads only.
   */
  replicaOf?: { port: number };
}

function findBinDir(): string | undefined {
  if (process.env.PRIVATE_PG_BIN_DIR) return process.env.PRIVATE_PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** PostgreSQL refuses to run as root: when we are root, run it as the `postgres` OS user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (after the parenthesised command name) is the parent pid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/**
 * Starts a throwaway PostgreSQL (initdb in a temp dir, the server on a free loopback port) that keeps
 * every commit through a crash of its own process, though not through a crash of the machine.
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const binDir = options.binDir ?? findBinDir();
  const bin = (name: string) => (binDir ? join(binDir, name) : name);
  const user = runAs();
  // Not under a 0700 folder: the postgres user must reach it.
  const root = await mkdtemp(join(tmpdir(), 'consentry-pg-'));
  await chmod(root, 0o755);
  const dataDir = join(root, 'data');
  if (user) await chown(root, user.uid, user.gid);
  if (options.replicaOf) {
    // initdb's trust pg_hba.conf admits loopback replication connections, so the primary lets us copy it.
    execFileSync(bin('pg_basebackup'), ['-h', '127.0.0.1', '-p', String(options.replicaOf.port), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '--no-sync'], {
      stdio: 'ignore',
      ...(user ?? {}),
    });
  } else {
    execFileSync(bin('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
      stdio: 'ignore',
      ...(user ?? {}),
    });
  }
  const port = await findFreePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | undefined;

  const start = async () => {
    if (server && server.exitCode === null && server.signalCode === null) return;
    const log = await open(join(root, 'server.log'), 'a');
    if (user) await chown(join(root, 'server.log'), user.uid, user.gid);
    server = spawn(
      bin('postgres'),
      [
        '-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
        // fsync off only spares the disk: a crash of PostgreSQL alone (kill -9) still keeps every commit,
        // because the WAL reached the OS. synchronous_commit stays on, or a crash would lose commits.
        '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=100',
      ],
      { stdio: ['ignore', log.fd, log.fd], ...(user ?? {}) },
    );
    server.once('exit', () => void log.close().catch(() => undefined));
    await waitUntilAnswering(
      server,
      async () => {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      {
        timeoutMs: 15_000,
        intervalMs: 50,
        describeFailure: (error) => `private PostgreSQL did not start on port ${port}: ${error.message} (see ${root}/server.log)`,
      },
    );
  };

  const stop = async () => {
    if (!server) return;
    const running = server;
    server = undefined;
    running.kill('SIGINT');
    await waitForExit(running);
  };

  const kill = async () => {
    if (!server) return;
    const running = server;
    server = undefined;
    const backends = childPids(running.pid!);
    running.kill('SIGKILL');
    // Backends still attached to the old shared memory would keep the next postmaster from starting.
    for (const pid of backends) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await waitForExit(running);
    const deadline = Date.now() + 5_000;
    while (backends.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  await start();
  return {
    url,
    port,
    start,
    stop,
    kill,
    async destroy() {
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
