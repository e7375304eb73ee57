import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Agent, Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';

import { EnvironmentKeyManagement } from '@consentry/identity';
import { SandboxCredentials, seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';

import { TppClient } from '../../../../scripts/journey.js';
import { AppPorts, startAppsOnFreePorts } from '../../../../scripts/platform.js';
import { RoundRobinProxy, startRoundRobinProxy } from './round-robin-proxy.js';
import { suiteEnvironment } from './test-platform.js';

/** The ports one instance of each app listens on. */
export type InstancePorts = AppPorts;

export interface ScaledPlatform {
  db: TestDatabase;
  redis: TestRedis;
  sandbox: SandboxCredentials;
  /** The public URLs (the proxies) and the shared settings every instance runs with. */
  env: Record<string, string>;
  /** Each instance's own ports, to call one instance directly. */
  instances: InstancePorts[];
  proxies: { api: RoundRobinProxy; authServer: RoundRobinProxy };
  output: string[];
  tpp: TppClient;
  stop(): Promise<void>;
}

/**
 * Keep-alive off for every fetch of this process (undici's global dispatcher, which Node's fetch uses):
 * each request opens its own connection, so the round-robin proxies alternate requests, not sessions.
 * Returns the dispatcher it replaced, to put back.
 */
export function oneRequestPerConnection(): Dispatcher {
  const previous = getGlobalDispatcher();
  // pipelining 0: undici's documented switch that disables keep-alive connections.
  setGlobalDispatcher(new Agent({ pipelining: 0 }));
  return previous;
}

/**
 * Two instances of each app (api, auth server, worker) on one database and one Redis prefix, the api and
 * auth-server pairs each behind a round-robin TCP proxy whose address is the app's public URL (so tokens,
 * DPoP `htu` and redirects name the proxy, as behind a load balancer). The first set starts before the
 * second, so the second finds the dev keys the first generated.
 */
export async function startScaledPlatform(label: string, options: { secretsKey: Buffer; seed: number; env?: Record<string, string> }): Promise<ScaledPlatform> {
  const db = await createTestDatabase(label);
  const redis = createTestRedis(label);
  const dataDir = await mkdtemp(join(tmpdir(), `consentry-${label}-`));
  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    for (const item of started.reverse()) await item.stop();
    await redis.cleanup();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const sandbox = await seedSandbox(db.dataSource, { keys: new EnvironmentKeyManagement(options.secretsKey), transactionsPerAccount: 5, seed: options.seed });
    const instances: InstancePorts[] = [];
    const api = await startRoundRobinProxy([]);
    started.push({ stop: () => api.close() });
    const authServer = await startRoundRobinProxy([]);
    started.push({ stop: () => authServer.close() });
    const env: Record<string, string> = {
      ...suiteEnvironment({ db, redis, dataDir, secretsKey: options.secretsKey }),
      API_URL: `http://localhost:${api.port}`,
      AUTH_SERVER_URL: `http://localhost:${authServer.port}`,
      ...options.env,
    };
    const output: string[] = [];
    for (let i = 0; i < 2; i++) {
      // Each instance's ports are found just before it starts (and found again if another suite took one).
      const { ports, apps } = await startAppsOnFreePorts(
        (ports: AppPorts): Record<string, string> => ({ ...env, API_PORT: String(ports.api), AUTH_SERVER_PORT: String(ports.authServer), WORKER_PORT: String(ports.worker) }),
        { onOutput: (app: string, line: string) => output.push(`[${app}#${i + 1}] ${line}`) },
      );
      instances.push(ports);
      api.addBackend(ports.api);
      authServer.addBackend(ports.authServer);
      started.push(apps);
    }
    const tpp = await TppClient.create({ issuer: env.AUTH_SERVER_URL!, apiUrl: env.API_URL!, tpp: sandbox.tpp });
    return { db, redis, sandbox, env, instances, proxies: { api, authServer }, output, tpp, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
