import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
  /** Start as a replica of the Redis on this loopback port (for Sentinel drills). */
  replicaOf?: { port: number };
}

/** One PING to the Redis (or Sentinel) on a loopback port, without retrying: it answers, or this throws. */
async function pingOnce(port: number): Promise<void> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
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
        ...(options.replicaOf ? ['--replicaof', '127.0.0.1', String(options.replicaOf.port)] : []),
      ],
      { stdio: 'ignore' },
    );
    await waitUntilAnswering(
      server,
      () => pingOnce(port),
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

/** A Redis Sentinel of the test's own, watching one primary. */
export interface PrivateSentinel {
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server --sentinel` on a free loopback port, monitoring the primary on `primaryPort` as
 * `name` with the given quorum; it judges a primary down after 1 s without an answer, so a drill's
 * failover takes a few seconds, not the default minute.
 */
export async function startPrivateSentinel(options: { primaryPort: number; name: string; quorum: number }): Promise<PrivateSentinel> {
  const dir = await mkdtemp(join(tmpdir(), 'consentry-sentinel-'));
  const port = await findFreePort();
  const config = join(dir, 'sentinel.conf');
  await writeFile(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile ${join(dir, 'sentinel.log')}`,
      `sentinel monitor ${options.name} 127.0.0.1 ${options.primaryPort} ${options.quorum}`,
      `sentinel down-after-milliseconds ${options.name} 1000`,
      `sentinel failover-timeout ${options.name} 5000`,
      `sentinel parallel-syncs ${options.name} 1`,
      '',
    ].join('\n'),
  );
  const server = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  await waitUntilAnswering(
    server,
    () => pingOnce(port),
    { timeoutMs: 10_000, intervalMs: 25, describeFailure: (error) => `private Sentinel did not start on port ${port}: ${error.message} (see ${dir}/sentinel.log)` },
  );
  return {
    port,
    async stop() {
      server.kill('SIGTERM');
      await waitForExit(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis Cluster of the test's own: three masters, no replicas, every slot assigned. */
export interface PrivateRedisCluster {
  /** `host:port` of each node, as REDIS_CLUSTER_NODES takes them. */
  nodes: string[];
  /** Every key each node holds (KEYS on each master): where a prefix's keys landed. */
  keysByNode(): Promise<Map<string, string[]>>;
  destroy(): Promise<void>;
}

/**
 * Starts three `redis-server --cluster-enabled yes` on free loopback ports, joins them with
 * `redis-cli --cluster create` (the 16,384 slots split among them) and waits until every node reports
 * `cluster_state:ok`.
 */
export async function startPrivateRedisCluster(): Promise<PrivateRedisCluster> {
  const nodes: Array<{ port: number; dir: string; server: ChildProcess }> = [];
  const destroy = async () => {
    for (const node of nodes) {
      node.server.kill('SIGKILL');
      await waitForExit(node.server);
      await rm(node.dir, { recursive: true, force: true });
    }
  };
  try {
    for (let i = 0; i < 3; i++) {
      const dir = await mkdtemp(join(tmpdir(), 'consentry-redis-cluster-'));
      const port = await findFreePort();
      const server = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '2000', '--logfile', join(dir, 'redis.log')],
        { stdio: 'ignore' },
      );
      nodes.push({ port, dir, server });
      await waitUntilAnswering(server, () => pingOnce(port), { timeoutMs: 10_000, intervalMs: 25, describeFailure: (error) => `cluster node on ${port} did not start: ${error.message}` });
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    execFileSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    for (const node of nodes) {
      for (;;) {
        const client = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
        client.on('error', () => undefined);
        try {
          await client.connect();
          if (String(await client.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) break;
        } finally {
          client.disconnect();
        }
        if (Date.now() > deadline) throw new Error(`the cluster did not reach cluster_state:ok on ${node.port}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const keysByNode = async () => {
      const found = new Map<string, string[]>();
      for (const node of nodes) {
        const client = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
        try {
          await client.connect();
          found.set(`127.0.0.1:${node.port}`, await client.keys('*'));
        } finally {
          client.disconnect();
        }
      }
      return found;
    };
    return { nodes: addresses, keysByNode, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}
