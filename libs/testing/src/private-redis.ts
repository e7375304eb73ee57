import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { findFreePort } from './free-port.js';
import { waitForExit, waitUntilAnswering } from './server-process.js';

/** A Redis server of the test's own, for fault drills: it may be stopped, killed and restarted. */
export interface PrivateRedis {
  url: string;
  port: number;
  /** SHUTDOWN (saves the AOF when it is on) and waits for the process to end. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and directory (reloading the AOF when it is on). */
  start(): Promise<void>;
  /** SIGKILL: whatever Redis held only in memory is lost. */
  kill(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Append-only file, as production runs it. Default true. */
  appendOnly?: boolean;
  /** Default `always` (nothing acknowledged is lost); `everysec` is the usual production trade-off. */
  appendFsync?: 'always' | 'everysec';
  /** Default `noeviction`, as production runs it. */
  maxmemoryPolicy?: string;
}

/** Starts `redis-server` (from PATH) on a free loopback port in a temp dir. */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'consentry-redis-'));
  const port = await findFreePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;

  const start = async () => {
    if (server && server.exitCode === null && server.signalCode === null) return;
    server = spawn(
      'redis-server',
      [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
        '--appendonly', options.appendOnly === false ? 'no' : 'yes', '--appendfsync', options.appendFsync ?? 'always',
        '--maxmemory-policy', options.maxmemoryPolicy ?? 'noeviction', '--logfile', join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    await waitUntilAnswering(
      server,
      async () => {
        const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.ping();
        } finally {
          client.disconnect();
        }
      },
      {
        timeoutMs: 10_000,
        intervalMs: 25,
        describeFailure: (error) => `private Redis did not start on port ${port}: ${error.message} (see ${dir}/redis.log)`,
      },
    );
  };

  const stop = async () => {
    if (!server) return;
    const running = server;
    server = undefined;
    // SIGTERM makes redis-server shut down as SHUTDOWN does: the AOF is flushed before it exits.
    running.kill('SIGTERM');
    await waitForExit(running);
  };

  const kill = async () => {
    if (!server) return;
    const running = server;
    server = undefined;
    running.kill('SIGKILL');
    await waitForExit(running);
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
      await rm(dir, { recursive: true, force: true });
    },
  };
}
