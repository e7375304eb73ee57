import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authorizeAsPsu, freshTotpCode } from '../../../../scripts/journey.js';
import { ROOT, TELEMETRY_REGISTER } from '../../../../scripts/platform.js';
import { CollectedSpan, OtlpCollector } from '../support/otlp-collector.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x7e);
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** The spans under `rootId`, one line each, indented by depth: `service  name`. */
function spanTree(spans: CollectedSpan[], rootId: string): string {
  const children = new Map<string, CollectedSpan[]>();
  for (const span of spans) children.set(span.parentSpanId ?? '', [...(children.get(span.parentSpanId ?? '') ?? []), span]);
  const lines: string[] = ['tpp  (the test\'s own span)'];
  const walk = (parentId: string, depth: number): void => {
    for (const span of children.get(parentId) ?? []) {
      lines.push(`${'  '.repeat(depth)}${span.service}  ${span.name}`);
      walk(span.spanId, depth + 1);
    }
  };
  walk(rootId, 1);
  return `${lines.join('\n')}\n`;
}

/** The path of an HTTP span, whichever semantic conventions the instrumentation speaks. */
function pathOf(span: CollectedSpan): string {
  const value = span.attributes['url.path'] ?? span.attributes['http.target'] ?? span.attributes['url.full'] ?? span.attributes['http.url'] ?? '';
  return String(value).replace(/^https?:\/\/[^/]+/, '').split('?')[0]!;
}

function methodOf(span: CollectedSpan): string {
  return String(span.attributes['http.request.method'] ?? span.attributes['http.method'] ?? '');
}

/** Runs a script under the apps' `--import` entry and returns what it printed. */
function runUnderRegister(env: NodeJS.ProcessEnv, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TELEMETRY_REGISTER, '--input-type=module', '-e', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

// Whether the Node SDK was loaded, and whether a span started by app code would be recorded.
const PROBE = `
import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
const span = trace.getTracer('probe').startSpan('probe');
const sdkLoaded = Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('@opentelemetry/sdk-node'));
console.log(JSON.stringify({ recording: span.isRecording(), sdkLoaded }));
span.end();
process.exit(0);
`;

/**
 * OpenTelemetry across the three apps as processes (`node --import @consentry/telemetry/register`, as
 * `npm start` runs them), exporting OTLP/HTTP JSON to a collector in this process. A TPP that traces
 * its calls (W3C traceparent) walks one consent journey; the test checks that it is one connected
 * trace: api → auth server, PostgreSQL and Redis spans, and the worker's audit-chain writes as children
 * of the API requests that recorded the events.
 */
describe('traces', () => {
  const collector = new OtlpCollector();
  let platform: TestPlatform;
  const traceId = hex(16);
  const tppSpanId = hex(8);
  /** Every secret the journey handled, which no exported span may carry. */
  const secrets: string[] = [];
  let consentId: string;

  beforeAll(async () => {
    const endpoint = await collector.start();
    platform = await startTestPlatform('traces', {
      secretsKey: SECRETS_KEY,
      transactionsPerAccount: 5,
      seed: 11,
      // A short batch delay, so spans arrive while the test waits.
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' },
      // Loading the SDK adds seconds to each start-up; the three start at once on a shared machine.
      healthTimeoutMs: 180_000,
    });
    // The TPP traces its own calls: every request it sends carries its span as the parent.
    const traceparent = `00-${traceId}-${tppSpanId}-01`;
    platform.tpp.config[oidc.customFetch] = (url: string, options: oidc.CustomFetchOptions) =>
      fetch(url, { ...options, headers: { ...options.headers, traceparent } } as RequestInit);
  }, 300_000);

  afterAll(async () => {
    await platform?.stop();
    await collector.stop();
  });

  it('exports one connected trace of a consent journey across api, auth server and worker', { timeout: 180_000 }, async () => {
    const { tpp, sandbox, env } = platform;
    const psu = sandbox.psus[0]!;
    const cc = await tpp.clientCredentialsToken();
    const created = await tpp.createConsent(cc.access_token, ['ReadAccountsDetail', 'ReadBalances'], new Date(Date.now() + 86_400_000).toISOString());
    expect(created.status).toBe(201);
    consentId = created.body.Data.ConsentId;
    const request = await tpp.pushAuthorizationRequest(consentId);
    const outcome = await authorizeAsPsu({
      authorizationUrl: request.url,
      issuer: env.AUTH_SERVER_URL!,
      psu,
      otp: () => freshTotpCode(psu.totpSecret),
      accountIds: psu.accounts.slice(0, 1).map((a) => a.accountId),
    });
    const code = outcome.redirect!.searchParams.get('code');
    expect(code).toBeTruthy();
    const tokens = await tpp.exchangeCode(outcome.redirect!, request);
    const accounts = await tpp.api(tokens.access_token, 'GET', '/open-banking/v4.0/aisp/accounts');
    expect(accounts.status).toBe(200);
    const tppJwk = sandbox.tpp.jwks.keys[0] as { d?: string };
    secrets.push(psu.password, psu.totpSecret, cc.access_token, tokens.access_token, code!, tppJwk.d!);
    if (tokens.refresh_token) secrets.push(tokens.refresh_token);
    if (tokens.id_token) secrets.push(tokens.id_token);

    const inTrace = (spans: CollectedSpan[]) => spans.filter((s) => s.traceId === traceId);
    const serverSpan = (spans: CollectedSpan[], service: string, method: string, path: RegExp) =>
      inTrace(spans).find((s) => s.service === service && s.kind === SPAN_KIND_SERVER && methodOf(s) === method && path.test(pathOf(s)));

    // The API's requests are children of the TPP's span.
    const consentRequest = await collector.waitFor('the consent request', (spans) => serverSpan(spans, 'api', 'POST', /\/account-access-consents$/));
    expect(consentRequest.parentSpanId).toBe(tppSpanId);
    const accountsRequest = await collector.waitFor('the accounts request', (spans) => serverSpan(spans, 'api', 'GET', /\/aisp\/accounts$/));
    expect(accountsRequest.parentSpanId).toBe(tppSpanId);
    // The auth server's PAR and token requests too.
    await collector.waitFor('the PAR request', (spans) => serverSpan(spans, 'auth-server', 'POST', /\/request$/));
    await collector.waitFor('the token request', (spans) => serverSpan(spans, 'auth-server', 'POST', /\/token$/));

    // api → auth server: verifying the first access token, the API fetches the issuer's metadata and
    // keys (undici), and the auth server's handling of that call is a child of the API's client span.
    const crossing = await collector.waitFor('an api → auth-server call', (spans) => {
      const apiClients = inTrace(spans).filter((s) => s.service === 'api' && s.kind === SPAN_KIND_CLIENT);
      return inTrace(spans).find((s) => s.service === 'auth-server' && s.kind === SPAN_KIND_SERVER && apiClients.some((c) => c.spanId === s.parentSpanId));
    });
    expect(methodOf(crossing)).toBe('GET');
    const apiClient = collector.spans.find((s) => s.spanId === crossing.parentSpanId)!;
    expect(apiClient.scope).toBe('@opentelemetry/instrumentation-undici');

    // PostgreSQL and Redis, from the apps' ESM imports of these CommonJS clients.
    const pgSpans = inTrace(collector.spans).filter((s) => s.scope === '@opentelemetry/instrumentation-pg');
    expect(new Set(pgSpans.map((s) => s.service))).toEqual(new Set(['api', 'auth-server', 'worker']));
    const redisSpans = await collector.waitFor('redis spans', (spans) => {
      const found = inTrace(spans).filter((s) => s.scope === '@opentelemetry/instrumentation-ioredis');
      return found.length > 0 ? found : undefined;
    });
    // Command names only: never the keys' values or arguments.
    for (const span of redisSpans) expect(String(span.attributes['db.statement'] ?? span.attributes['db.query.text'] ?? '')).toMatch(/^[a-z]*$/);

    // The worker's chain writes of consent.created and data.accessed are children of the API requests
    // that recorded the events (the outbox carried their traceparent).
    const chainWrite = (type: string) =>
      collector.waitFor(`the worker's chain write of ${type}`, (spans) =>
        inTrace(spans).find((s) => s.service === 'worker' && s.name === 'audit.chain.append' && s.attributes['consentry.audit.event_type'] === type),
      );
    const createdWrite = await chainWrite('consent.created');
    expect(createdWrite.parentSpanId).toBe(consentRequest.spanId);
    const accessedWrite = await chainWrite('data.accessed');
    expect(accessedWrite.parentSpanId).toBe(accountsRequest.spanId);
    // The write's own statements run under the span: the insert into the audit log is in this trace.
    await collector.waitFor('the audit_log insert under a chain write', (spans) =>
      inTrace(spans).find((s) => s.service === 'worker' && s.scope === '@opentelemetry/instrumentation-pg' && /audit_log/.test(String(s.attributes['db.statement'] ?? s.attributes['db.query.text'] ?? ''))),
    );
    // And the event in the log is the one the span names.
    const [logged] = await platform.db.dataSource.query(`SELECT event_type FROM audit_log WHERE event_id = $1`, [createdWrite.attributes['consentry.audit.event_id']]);
    expect(logged).toEqual({ event_type: 'consent.created' });

    // One connected trace: every span of the journey hangs from another of its spans, or from the TPP's
    // (parents end after their children, so the last ones may still be on their way).
    await collector.waitFor('a parent for every span of the journey', (spans) => {
      const ids = new Set([tppSpanId, ...inTrace(spans).map((s) => s.spanId)]);
      return inTrace(spans).every((s) => s.parentSpanId !== undefined && ids.has(s.parentSpanId)) ? true : undefined;
    });

    // The trace as a tree (service and span name), for people: test-output/traces/consent-journey.txt.
    await mkdir(join(ROOT, 'test-output', 'traces'), { recursive: true });
    await writeFile(join(ROOT, 'test-output', 'traces', 'consent-journey.txt'), spanTree(inTrace(collector.spans), tppSpanId));
  });

  it('exports no secret of the run (no token, password, TOTP seed, key or SQL parameter value) and no probe', async () => {
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    expect(collector.bodies.length).toBeGreaterThan(0);
    const exported = collector.bodies.join('\n');
    for (const secret of secrets) expect(exported.includes(secret), `a secret of ${secret.length} characters is in a span`).toBe(false);
    // The consent id is a parameter of the API's queries and never a literal in their text.
    const statements = collector.spans.map((s) => String(s.attributes['db.statement'] ?? s.attributes['db.query.text'] ?? ''));
    expect(statements.some((text) => text.includes(consentId))).toBe(false);
    // Health probes (the platform polled /health while starting) are not traced.
    expect(collector.spans.filter((s) => s.kind === SPAN_KIND_SERVER && /^\/(health|metrics)/.test(pathOf(s)))).toEqual([]);
    // No header is captured, so neither Authorization nor DPoP.
    expect(collector.spans.filter((s) => Object.keys(s.attributes).some((key) => key.startsWith('http.request.header.')))).toEqual([]);
  });

  it('starts nothing without OTEL_EXPORTER_OTLP_ENDPOINT, and exports nothing', async () => {
    const base = { ...process.env } as NodeJS.ProcessEnv;
    delete base.OTEL_EXPORTER_OTLP_ENDPOINT;
    const received = collector.bodies.length;
    // The same entry the apps use, with the variable unset: no SDK module is loaded, no span records,
    // even where the SDK would otherwise find its traces endpoint.
    const off = JSON.parse(await runUnderRegister({ ...base, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/v1/traces' }, PROBE));
    expect(off).toEqual({ recording: false, sdkLoaded: false });
    // With it set, the same probe runs the SDK: the check above can tell the two apart.
    const on = JSON.parse(await runUnderRegister({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }, PROBE));
    expect(on).toEqual({ recording: true, sdkLoaded: true });
    expect(collector.bodies.length).toBe(received);
  });
});
