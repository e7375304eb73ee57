import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { runMigrations } from '@consentry/database';
import { PrivateRedis, startPrivateRedis } from '@consentry/testing';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT } from '../../../../scripts/platform.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const READY = { status: 'ready', database: 'up', redis: 'up', migrations: 'applied' };
const MONITORING = join(ROOT, 'deploy/monitoring');
// Made by Prometheus for every scrape target, not by the apps.
const PROMETHEUS_SERIES = new Set(['up']);

type App = 'api' | 'auth-server' | 'worker';
const APPS: App[] = ['api', 'auth-server', 'worker'];

interface Answer {
  status: number;
  body: string;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

/** Polls `url` until it answers `status` (the apps notice a dependency come or go within a few seconds). */
async function until(url: string, status: number, deadlineMs = 45_000): Promise<Answer> {
  const deadline = Date.now() + deadlineMs;
  let last: Answer = { status: 0, body: '' };
  while (Date.now() < deadline) {
    last = await get(url).catch((error: Error) => ({ status: 0, body: error.message }));
    if (last.status === status) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} still answers ${last.status} ${last.body}`);
}

/** Metric names a Prometheus exposition defines (histograms with their _bucket, _sum and _count series). */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    const [, name, type] = match;
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** Series names in a PromQL expression: identifiers that are not functions, keywords, labels or label values. */
function seriesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, '{}').replace(/\[[^\]]*\]/g, '[]');
  const withoutGrouping = withoutStrings.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = withoutGrouping.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\{|\[|\)|$|\s|>|<|=|!|\*|\/|\+|-))/g) ?? [];
  const notSeries = new Set(['sum', 'max', 'min', 'avg', 'rate', 'increase', 'histogram_quantile', 'and', 'or', 'unless', 'offset', 'bool', 'le']);
  return names.filter((name) => !notSeries.has(name) && !/^\d/.test(name));
}

async function monitoringExpressions(): Promise<Array<{ where: string; expr: string }>> {
  const rules = yaml.load(await readFile(join(MONITORING, 'consentry-alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  const dashboard = JSON.parse(await readFile(join(MONITORING, 'consentry-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  return [
    ...rules.groups.flatMap((group) => group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }))),
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr }))),
  ];
}

/**
 * Each app's operations surface on its own port, as Kubernetes probes and Prometheus reach it: the three
 * built apps as processes on a database of their own and a Redis of their own that the test stops.
 */
describe('health and metrics of the three apps', () => {
  let redis: PrivateRedis;
  let platform: TestPlatform;
  let base: Record<App, string>;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    // TRUST_PROXY=1: X-Forwarded-For names the client, so a scrape can come "from elsewhere".
    platform = await startTestPlatform('ops_health', {
      secretsKey: Buffer.alloc(32, 0x42),
      transactionsPerAccount: 2,
      seed: 4,
      env: { REDIS_URL: redis.url, TRUST_PROXY: '1' },
    });
    base = {
      api: `http://localhost:${platform.env.API_PORT}`,
      'auth-server': `http://localhost:${platform.env.AUTH_SERVER_PORT}`,
      worker: `http://localhost:${platform.env.WORKER_PORT}`,
    };
  });

  afterAll(async () => {
    await platform?.stop();
    await redis?.destroy();
  });

  it('answers /health/live and /health/ready on each app\'s own port', async () => {
    for (const app of APPS) {
      expect(await get(`${base[app]}/health/live`), app).toEqual({ status: 200, body: '{"status":"live"}' });
      expect(await get(`${base[app]}/health/ready`), app).toEqual({ status: 200, body: JSON.stringify(READY) });
    }
  });

  it('serves /metrics to a loopback client and 404 to a client elsewhere, as for a path it does not serve', async () => {
    for (const app of APPS) {
      const local = await get(`${base[app]}/metrics`);
      expect(local.status, app).toBe(200);
      expect(local.body, app).toMatch(/^# HELP /);
      const elsewhere = { 'x-forwarded-for': '203.0.113.9' };
      const refused = await get(`${base[app]}/metrics`, elsewhere);
      expect(refused.status, app).toBe(404);
      expect(refused.body, app).not.toContain('consentry_');
    }
    // The API's answer is its OB 404 for any unknown path (Id is the interaction id, new each time).
    const withoutId = (answer: Answer) => ({ ...(JSON.parse(answer.body) as Record<string, unknown>), Id: undefined });
    expect(withoutId(await get(`${base.api}/metrics`, { 'x-forwarded-for': '203.0.113.9' }))).toEqual(withoutId(await get(`${base.api}/no-such-path`)));
  });

  it('counts requests by route pattern and token requests by grant type and result', async () => {
    const token = await platform.tpp.clientCredentialsToken();
    const consentId = 'aac-00000000-0000-4000-8000-000000000001';
    const unknown = await platform.tpp.api(token.access_token, 'GET', `/open-banking/v4.0/aisp/account-access-consents/${consentId}`);
    expect(unknown.status).toBe(404);
    const api = (await get(`${base.api}/metrics`)).body;
    expect(api).toMatch(/^consentry_http_request_duration_seconds_count\{method="GET",route="\/open-banking\/v4\.0\/aisp\/account-access-consents\/:ConsentId",status_code="404"\} 1$/m);
    expect(api).not.toContain(consentId);
    const auth = (await get(`${base['auth-server']}/metrics`)).body;
    expect(auth).toMatch(/^consentry_oauth_token_requests_total\{grant_type="client_credentials",result="success"\} [1-9]\d*$/m);
    expect(auth).toMatch(/^consentry_http_request_duration_seconds_count\{method="POST",route="oidc:token",status_code="200"\} [1-9]\d*$/m);
    expect(auth).toMatch(/^consentry_db_pool_connections\{state="total"\} [1-9]\d*$/m);
    const worker = (await get(`${base.worker}/metrics`)).body;
    expect(worker).toMatch(/^consentry_queue_jobs\{queue="audit-events",state="waiting"\} \d+$/m);
    expect(worker).toMatch(/^consentry_queue_oldest_waiting_seconds\{queue="audit-events"\} [\d.]+$/m);
  });

  it('names in its alert rules and dashboard only metrics the apps expose', async () => {
    const exposed = new Set<string>();
    for (const app of APPS) for (const name of exposedNames((await get(`${base[app]}/metrics`)).body)) exposed.add(name);
    const expressions = await monitoringExpressions();
    const named = new Set(expressions.flatMap(({ expr }) => seriesIn(expr)));
    // Every kind of metric is watched: requests, grants, pool, queues, the audit pipeline and the process.
    for (const name of ['consentry_http_request_duration_seconds_bucket', 'consentry_oauth_token_requests_total', 'consentry_db_pool_connections', 'consentry_queue_oldest_waiting_seconds', 'consentry_audit_outbox_pending', 'nodejs_eventloop_lag_p99_seconds']) {
      expect(named, name).toContain(name);
    }
    const missing = expressions.flatMap(({ where, expr }) => seriesIn(expr).filter((name) => !exposed.has(name) && !PROMETHEUS_SERIES.has(name)).map((name) => `${where}: ${name}`));
    expect(missing).toEqual([]);
  });

  it('is not ready while Redis is down, and ready again once it is back', async () => {
    await redis.stop();
    try {
      for (const app of APPS) {
        const answer = await until(`${base[app]}/health/ready`, 503);
        expect(JSON.parse(answer.body), app).toEqual({ status: 'unavailable', database: 'up', redis: 'down', migrations: 'applied' });
        expect((await get(`${base[app]}/health/live`)).status, app).toBe(200);
      }
    } finally {
      await redis.start();
    }
    for (const app of APPS) expect((await until(`${base[app]}/health/ready`, 200)).body, app).toBe(JSON.stringify(READY));
  });

  it('is not ready while a migration it was built with is missing from the database', async () => {
    await platform.db.dataSource.undoLastMigration({ transaction: 'each' });
    try {
      for (const app of APPS) {
        const answer = await until(`${base[app]}/health/ready`, 503);
        expect(JSON.parse(answer.body), app).toEqual({ status: 'unavailable', database: 'up', redis: 'up', migrations: 'pending' });
      }
    } finally {
      await runMigrations(platform.db.dataSource);
    }
    for (const app of APPS) expect((await until(`${base[app]}/health/ready`, 200)).body, app).toBe(JSON.stringify(READY));
  });
});
