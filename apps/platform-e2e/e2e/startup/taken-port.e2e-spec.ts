import { createServer, Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AppPorts, freePort, startApps, startAppsOnFreePorts } from '../../../../scripts/platform.js';
import { suiteEnvironment } from '../support/test-platform.js';

/**
 * Suites run in parallel, each on free ports it finds before its apps listen: another suite can take
 * one in between. startApps must then fail, not take the other server's health answer for its app's.
 */
describe('startApps on a port another server took', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let dataDir: string;
  let impostor: Server;
  let impostorPort: number;

  beforeAll(async () => {
    db = await createTestDatabase('taken_port');
    redis = createTestRedis('taken_port');
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-taken-port-'));
    // Answers 200 to everything, as another suite's healthy API would to /health/ready.
    impostor = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
    impostorPort = await freePort();
    await new Promise<void>((resolve) => impostor.listen(impostorPort, 'localhost', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => impostor?.close(resolve));
    await redis?.cleanup();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("fails with the app's own exit, and stops the apps it started", async () => {
    const env: Record<string, string> = {
      ...suiteEnvironment({ db, redis, dataDir, secretsKey: Buffer.alloc(32, 7) }),
      API_PORT: String(impostorPort),
      AUTH_SERVER_PORT: String(await freePort()),
      WORKER_PORT: String(await freePort()),
      API_URL: `http://localhost:${impostorPort}`,
    };
    env.AUTH_SERVER_URL = `http://localhost:${env.AUTH_SERVER_PORT}`;
    const output: string[] = [];
    const outcome = await startApps(env, { onOutput: (app: string, line: string) => output.push(`[${app}] ${line}`), healthTimeoutMs: 60_000 }).then(
      async (apps) => {
        // Started after all (the defect this guards against): stopped here, so a failing run leaves no process behind.
        await apps.stop();
        return 'started';
      },
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(outcome).toMatch(/^api exited/);
    expect(output.join('\n')).toContain('EADDRINUSE');
    // The other two were stopped: their ports are free again.
    for (const port of [env.AUTH_SERVER_PORT, env.WORKER_PORT]) {
      await expect(fetch(`http://localhost:${port}/health/live`)).rejects.toThrow();
    }
  }, 90_000);

  it('startAppsOnFreePorts tries again on new ports, and its apps are the ones that answer', async () => {
    const portsTried: AppPorts[] = [];
    const envFor = (ports: AppPorts): Record<string, string> => {
      portsTried.push(ports);
      // The first attempt's API port is the one the other server took.
      const api = portsTried.length === 1 ? impostorPort : ports.api;
      return {
        ...suiteEnvironment({ db, redis, dataDir, secretsKey: Buffer.alloc(32, 7) }),
        API_PORT: String(api),
        AUTH_SERVER_PORT: String(ports.authServer),
        WORKER_PORT: String(ports.worker),
        API_URL: `http://localhost:${api}`,
        AUTH_SERVER_URL: `http://localhost:${ports.authServer}`,
      };
    };
    const output: string[] = [];
    const { ports, env, apps } = await startAppsOnFreePorts(envFor, { onOutput: (app: string, line: string) => output.push(`[${app}] ${line}`) });
    try {
      expect(portsTried).toHaveLength(2);
      expect(output.join('\n')).toContain('EADDRINUSE');
      expect(env.API_PORT).toBe(String(ports.api));
      // The API that answers is ours: the impostor says only {"status":"ok"}.
      const ready = await fetch(`${env.API_URL}/health/ready`);
      expect(await ready.json()).toMatchObject({ status: 'ready', database: 'up', redis: 'up' });
    } finally {
      await apps.stop();
    }
  }, 120_000);
});
