import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, TELEMETRY_REGISTER } from '../../../../scripts/platform.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const DRAIN_MS = 1_500;
const TIMEOUT_MS = 15_000;
// Well inside the drain: the balancer has stopped sending before the app stops accepting.
const LB_NOTICE_MS = 500;
const CONSENT_PATH = '/open-banking/v4.0/aisp/account-access-consents';

/** One request's outcome: its status, or the error code of a request that got no answer. */
interface Outcome {
  at: number;
  status?: number;
  error?: string;
}

/** The status an error carries (openid-client's ResponseBodyError), or the code of its innermost cause. */
function outcomeOf(error: unknown): Omit<Outcome, 'at'> {
  let current: unknown = error;
  let code: string | undefined;
  while (typeof current === 'object' && current !== null) {
    const { status, code: own, cause } = current as { status?: unknown; code?: unknown; cause?: unknown };
    if (typeof status === 'number') return { status };
    if (typeof own === 'string') code = own;
    current = cause;
  }
  return { error: code ?? (error instanceof Error ? error.message : String(error)) };
}

/**
 * Sends `send` from `concurrency` loops until `stop` says so, as a load balancer's clients do: it stops
 * sending new work to an instance some time after that instance's readiness turned 503.
 */
function load(send: () => Promise<number>, concurrency: number, stop: () => boolean): { outcomes: Outcome[]; done: Promise<void> } {
  const outcomes: Outcome[] = [];
  const loop = async () => {
    while (!stop()) {
      const outcome = await send().then((status) => ({ status }), outcomeOf);
      outcomes.push({ at: Date.now(), ...outcome });
    }
  };
  return { outcomes, done: Promise.all(Array.from({ length: concurrency }, loop)).then(() => undefined) };
}

async function readiness(url: string): Promise<number | string> {
  return fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
    async (response) => {
      await response.body?.cancel();
      return response.status;
    },
    (error: unknown) => outcomeOf(error).error ?? 'error',
  );
}

/**
 * A load balancer's view of an instance: readiness polled every 50 ms until the connection is refused;
 * `removed()` is true LB_NOTICE_MS after the first 503 (the balancer's probe period), when it stops
 * sending new requests there.
 */
function watchReadiness(url: string): { seen: Array<{ at: number; answer: number | string }>; removed: () => boolean; done: Promise<void> } {
  const seen: Array<{ at: number; answer: number | string }> = [];
  const removed = () => {
    const first = seen.find(({ answer }) => answer !== 200);
    return first !== undefined && Date.now() - first.at >= LB_NOTICE_MS;
  };
  const done = (async () => {
    for (;;) {
      const answer = await readiness(url);
      seen.push({ at: Date.now(), answer });
      if (answer === 'ECONNREFUSED') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return { seen, removed, done };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode, at: Date.now() });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
}

/**
 * SIGTERM under load: each built app, started as a process as `npm start` does, turns readiness 503, keeps
 * serving for SHUTDOWN_DRAIN_MS, then stops accepting, finishes what it accepted and exits 0.
 */
describe('graceful shutdown of the three apps under load', () => {
  let platform: TestPlatform;
  let token: string;
  let redis: Redis;
  const extra: ChildProcess[] = [];

  beforeAll(async () => {
    platform = await startTestPlatform('ops_shutdown', {
      secretsKey: Buffer.alloc(32, 0x43),
      transactionsPerAccount: 1,
      seed: 5,
      env: {
        SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
        SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
        LOG_LEVEL: 'info',
        // The drill's four loops send as fast as the API answers: on a quiet machine that passes the per-TPP
        // limit (1,200 a minute) within the drain, and a 429 is not what this drill is about (the limit has
        // its own tests). Lifted, it still runs.
        TPP_RATE_LIMIT_PER_MINUTE: '10000000',
      },
    });
    token = (await platform.tpp.clientCredentialsToken()).access_token;
    redis = new Redis(platform.env.REDIS_URL!);
  });

  afterAll(async () => {
    for (const child of extra) if (child.exitCode === null) child.kill('SIGKILL');
    redis?.disconnect();
    await platform?.stop();
  });

  const [api, authServer, worker] = [0, 1, 2].map((i) => () => platform.apps.children[i]!);
  const createConsent = async () => (await platform.tpp.api(token, 'POST', CONSENT_PATH, { Data: { Permissions: ['ReadAccountsBasic'] }, Risk: {} })).status;

  it('worker: the jobs in progress complete, none is left active or failed, and every audit event reaches the chain', async () => {
    let stopLoad = false;
    const consents = load(createConsent, 3, () => stopLoad);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const ready = watchReadiness(`http://localhost:${platform.env.WORKER_PORT}/health/ready`);
    const sentAt = Date.now();
    worker().kill('SIGTERM');
    const exit = await exited(worker());
    await ready.done;
    stopLoad = true;
    await consents.done;

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - sentAt).toBeLessThan(TIMEOUT_MS);
    expect(ready.seen.some(({ answer }) => answer === 503)).toBe(true);
    expect(consents.outcomes.filter(({ status }) => status !== 201)).toEqual([]);
    // A job cut off mid-way would stay in the active list (stalled) or be failed.
    const prefix = `${platform.env.REDIS_PREFIX}:audit-events`;
    expect(await redis.llen(`${prefix}:active`)).toBe(0);
    expect(await redis.zcard(`${prefix}:failed`)).toBe(0);

    // A new worker chains whatever was still waiting: every event the API recorded is in the log once.
    const next = spawn(process.execPath, ['--import', TELEMETRY_REGISTER, join(ROOT, 'apps/worker/dist/main.js')], { cwd: ROOT, env: platform.env, stdio: 'ignore' });
    extra.push(next);
    const deadline = Date.now() + 30_000;
    let missing = -1;
    while (Date.now() < deadline) {
      const [row] = (await platform.db.dataSource.query(
        `SELECT count(*)::int AS missing FROM audit_outbox o WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = o.event_id)`,
      )) as Array<{ missing: number }>;
      missing = row!.missing;
      if (missing === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(missing).toBe(0);
    const [dupes] = (await platform.db.dataSource.query(
      `SELECT count(*)::int AS n FROM (SELECT event_id FROM audit_log GROUP BY event_id HAVING count(*) > 1) d`,
    )) as Array<{ n: number }>;
    expect(dupes!.n).toBe(0);
    next.kill('SIGTERM');
    expect(await exited(next)).toMatchObject({ code: 0, signal: null });
  }, 90_000);

  /** The two HTTP apps under the same drill: load until the balancer removes them, SIGTERM after 1 s. */
  async function drill(child: ChildProcess, port: string, send: () => Promise<number>, expected: number): Promise<Outcome[]> {
    const ready = watchReadiness(`http://localhost:${port}/health/ready`);
    const traffic = load(send, 4, ready.removed);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const sentAt = Date.now();
    child.kill('SIGTERM');
    const exit = await exited(child);
    await Promise.all([traffic.done, ready.done]);

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - sentAt).toBeLessThan(TIMEOUT_MS);
    // No request failed: none reset, none refused, none answered anything but its success.
    expect(traffic.outcomes.filter(({ status }) => status !== expected)).toEqual([]);
    // Served during the drain, after the signal.
    expect(traffic.outcomes.filter(({ at }) => at > sentAt).length).toBeGreaterThan(0);
    // Readiness: 200, then 503 (draining) from the signal on, then the connection is refused.
    const answers = ready.seen.map(({ answer }) => answer).filter((answer, k, all) => k === 0 || all[k - 1] !== answer);
    expect(answers).toEqual([200, 503, 'ECONNREFUSED']);
    expect(ready.seen.find(({ answer }) => answer === 503)!.at).toBeGreaterThanOrEqual(sentAt);
    return traffic.outcomes;
  }

  it('auth server: every token request is answered 200 through the drain, readiness turns 503 first, and it exits 0', async () => {
    await drill(authServer(), platform.env.AUTH_SERVER_PORT!, async () => ((await platform.tpp.clientCredentialsToken()).access_token ? 200 : 0), 200);
  }, 60_000);

  it('api: every request is answered 201 (none reset or 5xx) through the drain, readiness turns 503 first, and it exits 0', async () => {
    const outcomes = await drill(api(), platform.env.API_PORT!, createConsent, 201);
    // Every consent the API answered 201 for was committed.
    const [row] = (await platform.db.dataSource.query(`SELECT count(*)::int AS n FROM account_access_consent`)) as Array<{ n: number }>;
    expect(row!.n).toBeGreaterThanOrEqual(outcomes.length);
  }, 60_000);
});
