import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadApiConfig, loadAuthServerConfig, loadWorkerConfig } from '@consentry/config';
import { MIGRATIONS } from '@consentry/database';
import { generateMessageSigningJwk } from '@consentry/message-signing';
import { HEALTH_LIVE_PATH, HEALTH_READY_PATH } from '@consentry/observability';
import { createTestDatabase, createTestRedis, TEST_DATABASE_SERVER_URL, TestDatabase, TestRedis } from '@consentry/testing';
import { load } from 'js-yaml';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, ROOT } from '../../../../scripts/platform.js';
import {
  containerEnvironment,
  containerPort,
  dataOf,
  effectiveInstruction,
  loadManifests,
  manifest,
  manifestFiles,
  MANIFESTS_DIR,
  mountedVolumes,
  onlyContainer,
  parseDockerfile,
  validateManifest,
} from '../support/kubernetes-manifests.js';

type Env = Record<string, string | undefined>;

/** Each app: its Deployment, its production config loader, and the PostgreSQL connections a pod opens besides its pool. */
const APPS = [
  { app: 'api', load: loadApiConfig, extraConnections: () => 0 },
  // The TPP change listener holds one connection of its own (LISTEN tpp_changed) while the cache is on.
  { app: 'auth-server', load: loadAuthServerConfig, extraConnections: (env: Env) => (loadAuthServerConfig(env).tppCacheSeconds > 0 ? 1 : 0) },
  // Audit retention opens a pool of 2 (the maintenance role) when it is on.
  { app: 'worker', load: loadWorkerConfig, extraConnections: (env: Env) => (loadWorkerConfig(env).auditRetentionDays > 0 ? 2 : 0) },
] as const;
// scripts/platform.js migrate(): the migration Job's pool.
const MIGRATION_JOB_CONNECTIONS = 2;

/**
 * What an operator does before applying: every REPLACE-ME stand-in of secrets.yaml replaced by a real value
 * (production refuses the stand-ins). SECRETS_KEYS's stand-in is base64, so it gets a key of random bytes.
 */
function withRealSecrets(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => {
      if (name === 'SECRETS_KEYS') return [name, `k1:${randomBytes(32).toString('base64')}`];
      return [name, value.replaceAll('REPLACE-ME', () => randomBytes(24).toString('hex'))];
    }),
  );
}

const manifests = loadManifests();
const deployment = (app: string) => manifest<IDeployment>(manifests, 'Deployment', `consentry-${app}`);
const podSpec = (app: string): IPodSpec => deployment(app).spec!.template.spec!;
const container = (app: string): IContainer => onlyContainer(podSpec(app));
/** The pod's environment as the manifests give it, placeholders and all. */
const manifestEnv = (app: string) => containerEnvironment(manifests, container(app));
/** The pod's environment once the Secrets hold real values. */
const podEnv = (app: string) => withRealSecrets(manifestEnv(app));
const migrationPod = () => manifest<IJob>(manifests, 'Job', 'consentry-migrate').spec!.template;

/** Runs a loader on an environment and records every variable it looks at. */
function variablesRead<T>(load: (env: Env) => T, env: Env): { config: T; read: Set<string> } {
  const read = new Set<string>();
  const watched = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return typeof name === 'string' ? target[name] : undefined;
    },
  });
  return { config: load(watched), read };
}

describe('deploy/kubernetes: the manifests', () => {
  it('validates every document against its kind\'s Kubernetes schema', () => {
    const kinds = manifests.map((m) => `${m.kind}/${m.metadata.name}`);
    for (const app of ['api', 'auth-server', 'worker']) {
      for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) expect(kinds).toContain(`${kind}/consentry-${app}`);
    }
    expect(kinds).toContain('Job/consentry-migrate');
    for (const m of manifests) expect(() => validateManifest(m.doc), `${m.file}: ${m.kind} ${m.metadata.name}`).not.toThrow();
  });

  it('refuses a document with a bad field, so the validation bites', () => {
    const broken = structuredClone(deployment('api'));
    delete (broken.spec!.template.spec!.containers[0]!.readinessProbe!.httpGet as { port?: unknown }).port;
    expect(() => validateManifest(broken)).toThrow('data/spec/template/spec/containers/0/readinessProbe/httpGet must have required property port');
    const hpa = structuredClone(manifest<IHorizontalPodAutoscaler>(manifests, 'HorizontalPodAutoscaler', 'consentry-api'));
    (hpa.spec as { maxReplicas: unknown }).maxReplicas = 'eight';
    expect(() => validateManifest(hpa)).toThrow(/maxReplicas must be integer/);
    expect(() => validateManifest({ apiVersion: 'v1', kind: 'Pod' })).toThrow('no schema for v1 Pod');
  });

  it('lists every manifest file in kustomization.yaml', () => {
    const kustomization = load(readFileSync(join(MANIFESTS_DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(manifestFiles());
  });

  it('holds placeholders only in its Secrets', () => {
    const secrets = manifests.filter((m) => m.kind === 'Secret');
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      const data = containerEnvironment(manifests, { name: 'check', envFrom: [{ secretRef: { name: secret.metadata.name } }] });
      for (const [key, value] of Object.entries(data)) {
        // A key's placeholder is base64 (SECRETS_KEYS): it must say REPLACE-ME once decoded.
        const readable = value.replace(/[A-Za-z0-9+/]{40,}={0,2}/g, (base64) => Buffer.from(base64, 'base64').toString('utf8'));
        expect(readable, `${secret.metadata.name}.${key}`).toMatch(/REPLACE-ME/);
      }
    }
  });

  it('holds stand-ins that production refuses, naming each variable and never quoting its value', () => {
    const refusals: Record<string, string> = {
      SECRETS_KEYS: 'SECRETS_KEYS entry 1 (k1) is the REPLACE-ME placeholder of deploy/kubernetes/secrets.yaml',
      DATABASE_URL: 'DATABASE_URL holds a REPLACE-ME placeholder (deploy/kubernetes/secrets.yaml)',
      REDIS_URL: 'REDIS_URL holds a REPLACE-ME placeholder (deploy/kubernetes/secrets.yaml)',
      COOKIE_KEYS: 'COOKIE_KEYS key 1 is the REPLACE-ME placeholder of deploy/kubernetes/secrets.yaml',
      SMTP_URL: 'SMTP_URL holds a REPLACE-ME placeholder (deploy/kubernetes/secrets.yaml)',
    };
    const checked = new Set<string>();
    for (const { app, load } of APPS) {
      const placeholders = manifestEnv(app);
      for (const [name, value] of Object.entries(placeholders)) {
        if (podEnv(app)[name] === value) continue;
        // One stand-in at a time, the others filled in, so each refusal is its own.
        const attempt = () => load({ ...podEnv(app), [name]: value });
        expect(attempt, `${app} ${name}`).toThrow(refusals[name]!);
        expect(attempt, `${app} ${name}`).not.toThrow(value);
        checked.add(name);
      }
    }
    expect([...checked].sort()).toEqual(Object.keys(refusals).sort());
  });

  it('notices a variable the loader does not read, and a missing one it requires', () => {
    const extra = variablesRead(loadApiConfig, { ...podEnv('api'), AUDIT_BATCH_SIZE: '10' });
    expect(extra.read.has('AUDIT_BATCH_SIZE')).toBe(false);
    const { SECRETS_KEYS: _secretsKeys, ...withoutKeys } = podEnv('worker');
    expect(() => loadWorkerConfig(withoutKeys)).toThrow('SECRETS_KEY is required in production mode (or SECRETS_KEYS)');
  });

  it.each(APPS)('gives $app exactly the variables its production config loader reads, and the loader accepts them', ({ app, load }) => {
    const env = podEnv(app);
    const { config, read } = variablesRead((watched) => load(watched), env);
    expect(config.mode).toBe('production');
    expect(Object.keys(env).filter((name) => !read.has(name))).toEqual([]);
  });

  it.each(APPS)('probes $app on the port and the paths it serves', ({ app, load }) => {
    const c = container(app);
    const port = load(podEnv(app)).port;
    expect(c.readinessProbe?.httpGet?.path).toBe(HEALTH_READY_PATH);
    expect(c.livenessProbe?.httpGet?.path).toBe(HEALTH_LIVE_PATH);
    expect(c.startupProbe?.httpGet?.path).toBe(HEALTH_LIVE_PATH);
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) expect(containerPort(c, probe?.httpGet?.port)).toBe(port);
    const service = manifest<IService>(manifests, 'Service', `consentry-${app}`);
    expect(service.spec?.selector).toEqual(deployment(app).spec!.selector.matchLabels);
    expect(containerPort(c, service.spec?.ports?.[0]?.targetPort)).toBe(port);
    expect(manifest<IPodDisruptionBudget>(manifests, 'PodDisruptionBudget', `consentry-${app}`).spec?.selector).toEqual(deployment(app).spec!.selector);
  });

  it.each(APPS)('drains $app for longer than readiness takes to fail, and exits before the grace period ends', ({ app, load }) => {
    const { shutdown } = load(podEnv(app));
    const readiness = container(app).readinessProbe!;
    expect(shutdown.drainMs).toBeGreaterThan((readiness.periodSeconds ?? 10) * (readiness.failureThreshold ?? 3) * 1000);
    expect(podSpec(app).terminationGracePeriodSeconds! * 1000).toBeGreaterThan(shutdown.drainMs + shutdown.timeoutMs);
  });

  it('sizes the pools so that every pod at the autoscalers\' maximum fits in PostgreSQL\'s max_connections', () => {
    const budget = manifest<IConfigMap>(manifests, 'ConfigMap', 'consentry-postgres-budget').data!;
    const available = Number(budget.max_connections) - Number(budget.reserved_connections);
    const perApp = APPS.map(({ app, load, extraConnections }) => {
      const env = podEnv(app);
      const hpa = manifest<IHorizontalPodAutoscaler>(manifests, 'HorizontalPodAutoscaler', `consentry-${app}`);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: `consentry-${app}` });
      expect(hpa.spec.minReplicas).toBe(deployment(app).spec!.replicas);
      return hpa.spec.maxReplicas * (load(env).databasePoolSize + extraConnections(env));
    });
    // docs/deployment.md's table: api 8 x 10, auth-server 4 x (8 + 1), worker 4 x 5, the Job's 2; 200 - 20 reserved.
    expect(perApp).toEqual([80, 36, 20]);
    expect(available).toBe(180);
    expect(perApp.reduce((a, b) => a + b, 0) + MIGRATION_JOB_CONNECTIONS).toBeLessThanOrEqual(available);
  });

  it('runs every pod non-root on a read-only root filesystem, without capabilities, writing only to emptyDirs', () => {
    const pods: Array<[string, IPodSpec]> = [...APPS.map(({ app }): [string, IPodSpec] => [app, podSpec(app)]), ['migrate', migrationPod().spec!]];
    for (const [name, spec] of pods) {
      const c = onlyContainer(spec);
      expect(spec.securityContext, name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.securityContext?.runAsUser, name).toBeGreaterThan(0);
      expect(spec.automountServiceAccountToken, name).toBe(false);
      expect(c.securityContext, name).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
      const mounts = mountedVolumes(spec, c);
      const writable = mounts.filter(({ volume }) => !volume.secret && !volume.configMap);
      expect(writable.every(({ volume }) => volume.emptyDir !== undefined), name).toBe(true);
      expect(writable.map(({ mountPath }) => mountPath), name).toContain('/tmp');
      if (name !== 'migrate') {
        const config = APPS.find((a) => a.app === name)!.load(podEnv(name));
        expect(writable.map(({ mountPath }) => mountPath), name).toContain(config.dataDir);
      }
    }
  });

  it('denies all traffic but the API\'s and auth server\'s ingress, metrics scrapes, DNS, PostgreSQL, Redis and the apps\' outbound calls', () => {
    const policies = manifests.filter((m) => m.kind === 'NetworkPolicy').map((m) => m.doc as unknown as INetworkPolicy);
    const deny = policies.find((p) => p.metadata?.name === 'default-deny')!;
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const ingress = policies.filter((p) => p.spec?.ingress);
    expect(Object.fromEntries(ingress.map((p) => [p.spec!.podSelector?.matchLabels?.['app.kubernetes.io/name'], p.spec!.ingress!.flatMap((rule) => rule.ports!.map((port) => port.port))]))).toEqual({
      'consentry-api': [3000],
      'consentry-auth-server': [3001],
      'consentry-worker': [3002],
    });
    // The worker's port is open to the monitoring namespace only.
    expect(ingress.find((p) => p.metadata?.name === 'consentry-worker-metrics-ingress')!.spec!.ingress![0]!.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
    const stores = policies.find((p) => p.metadata?.name === 'consentry-data-stores-egress')!;
    // Every pod of the platform, the migration Job's too.
    expect(stores.spec!.podSelector?.matchLabels).toEqual({ 'app.kubernetes.io/part-of': 'consentry' });
    expect(migrationPod().metadata?.labels?.['app.kubernetes.io/part-of']).toBe('consentry');
    expect(stores.spec!.egress!.flatMap((rule) => rule.ports!.map((port) => `${port.protocol}/${port.port}`))).toEqual(['UDP/53', 'TCP/53', 'TCP/5432', 'TCP/6379', 'TCP/26379']);
  });

  it('builds, in a multi-stage Dockerfile, one non-root image per process whose CMD is its Deployment\'s command', () => {
    const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    const build = stages.find((s) => s.name === 'build')!;
    expect(build.from).toMatch(/^node:24-bookworm-slim$/);
    expect(build.instructions.map((i) => i.args).join('\n')).toMatch(/npm ci[\s\S]*nx run-many -t build[\s\S]*npm prune --omit=dev/);
    const runtime = stages.find((s) => s.name === 'runtime')!;
    expect(runtime.from).toBe('node:24-bookworm-slim');
    // The runtime takes only the build's pruned output, never the context (where keys could be).
    expect(runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args)).toEqual(['--from=build /out/ /app/']);
    const targets: Array<[string, IContainer]> = [...APPS.map(({ app }): [string, IContainer] => [app, container(app)]), ['migrate', onlyContainer(migrationPod().spec!)]];
    for (const [target, c] of targets) {
      expect(c.image).toBe(`consentry-${target}`);
      expect(c.workingDir).toBe('/app');
      expect(effectiveInstruction(stages, target, 'WORKDIR')).toBe('/app');
      expect(JSON.parse(effectiveInstruction(stages, target, 'CMD')!)).toEqual(c.command);
      const user = effectiveInstruction(stages, target, 'USER')!;
      expect(Number(user.split(':')[0])).toBeGreaterThan(0);
      expect(user).toBe(`${podSpec('api').securityContext?.runAsUser}:${podSpec('api').securityContext?.runAsGroup}`);
    }
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['.git', '.data', 'node_modules', '**/keys', '*.pem', '*jwks*.json']) expect(ignored).toContain(pattern);
  });
});

/** Starts a container's command from the repo root (the image's /app), on this machine's Node 24. */
function spawnCommand(command: string[], env: Env, output: string[], name: string): ChildProcess {
  const [executable, ...args] = command;
  // "node" in the image is Node 24; here it is the Node that runs this suite (the pinned one).
  const child = spawn(executable === 'node' ? process.execPath : executable!, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => output.push(...chunk.split('\n').filter(Boolean).map((line) => `[${name}] ${line}`)));
  }
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function getUntil200(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} before ${url} answered 200`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

describe('deploy/kubernetes: each container\'s command starts its process', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let dir: string;
  const children: ChildProcess[] = [];
  const output: string[] = [];

  /** The private key files the Secrets stand for, generated here (the Secrets hold placeholders). */
  async function writeSecretFiles(): Promise<Record<string, Record<string, string>>> {
    const signing = await generateKeyPair('PS256', { extractable: true, modulusLength: 2048 });
    const signingJwk = await exportJWK(signing.privateKey);
    const checkpoint = await generateKeyPair('ES256', { extractable: true });
    const checkpointJwk = await exportJWK(checkpoint.privateKey);
    return {
      'consentry-signing-keys': { 'jwks.json': JSON.stringify({ keys: [{ ...signingJwk, alg: 'PS256', use: 'sig', kid: await calculateJwkThumbprint(signingJwk) }] }) },
      'consentry-message-signing-keys': { 'jwks.json': JSON.stringify({ keys: [await generateMessageSigningJwk()] }) },
      'consentry-audit-checkpoint-key': { 'key.json': JSON.stringify({ ...checkpointJwk, alg: 'ES256', kid: await calculateJwkThumbprint(checkpointJwk) }) },
    };
  }

  /**
   * The pod's environment as the Deployment gives it, on this machine: the test's database, Redis and key
   * prefix for the data stores' hosts, free ports for the container ports, and a directory of its own
   * for each volume (emptyDirs empty, Secrets' files written) at its mount path.
   */
  async function localEnvironment(spec: IPodSpec, c: IContainer, secretFiles: Record<string, Record<string, string>>, ports: Record<string, string>): Promise<Env> {
    const env: Env = withRealSecrets(containerEnvironment(manifests, c));
    const mounts = mountedVolumes(spec, c);
    for (const { mountPath, volume } of mounts) {
      const local = join(dir, c.name, volume.name);
      await mkdir(local, { recursive: true });
      if (volume.secret) {
        for (const [file, content] of Object.entries(secretFiles[volume.secret.secretName!] ?? {})) await writeFile(join(local, file), content, { mode: 0o600 });
      }
      // A ConfigMap's keys are its files (the payment-monitoring rules and deny-list).
      if (volume.configMap) {
        for (const [file, content] of Object.entries(dataOf(manifests, 'ConfigMap', volume.configMap.name!))) await writeFile(join(local, file), content);
      }
      for (const [name, value] of Object.entries(env)) {
        if (value === mountPath || value?.startsWith(`${mountPath}/`)) env[name] = local + value.slice(mountPath.length);
      }
    }
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'REDIS_PREFIX']) expect(env[name] ?? '', `${c.name} ${name}`).not.toBe('');
    return { ...env, DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, ...ports };
  }

  beforeAll(async () => {
    for (const { app } of APPS) {
      if (!existsSync(join(ROOT, `apps/${app}/dist/main.js`))) throw new Error(`apps/${app} is not built: run npx nx run-many -t build first`);
    }
    db = await createTestDatabase('k8s_manifests');
    redis = createTestRedis('k8s_manifests');
    dir = await mkdtemp(join(tmpdir(), 'consentry-k8s-'));
  });

  afterAll(async () => {
    await Promise.all(
      children.map(async (child) => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited(child);
        clearTimeout(timer);
      }),
    );
    await redis?.cleanup();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves 200 on each Deployment\'s readiness and liveness probes, started by its command in production mode', async () => {
    const secretFiles = await writeSecretFiles();
    const ports = { API_PORT: String(await freePort()), AUTH_SERVER_PORT: String(await freePort()), WORKER_PORT: String(await freePort()) };
    const probes = await Promise.all(
      APPS.map(async ({ app, load }) => {
        const c = container(app);
        const env = await localEnvironment(podSpec(app), c, secretFiles, ports);
        // The probes' port is the container port; the app listens where its loader says, here the free port.
        const port = load(env).port;
        expect(containerPort(c, c.readinessProbe?.httpGet?.port)).toBe(load(podEnv(app)).port);
        const child = spawnCommand(c.command!, env, output, app);
        children.push(child);
        return { app, child, ready: `http://127.0.0.1:${port}${c.readinessProbe!.httpGet!.path}`, live: `http://127.0.0.1:${port}${c.livenessProbe!.httpGet!.path}` };
      }),
    );
    try {
      for (const probe of probes) {
        await getUntil200(probe.ready, probe.child, 60_000);
        expect((await fetch(probe.live)).status).toBe(200);
      }
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${output.slice(-30).join('\n')}`);
    }
    expect(output.join('\n')).toMatch(/production mode/);
  }, 120_000);

  it('migrates an empty database with the migration Job\'s command, as the owner, and grants the apps\' role', async () => {
    const name = `consentry_test_k8s_migrate_${process.pid}_${Date.now()}`;
    // Roles are the server's: the Job's consentry_app and consentry_worker stand here for roles of this run's own.
    const appRole = `${name}_app`;
    const workerRole = `${name}_worker`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_SERVER_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.query(`CREATE ROLE "${appRole}" NOLOGIN`);
    await admin.query(`CREATE ROLE "${workerRole}" NOLOGIN`);
    const url = new URL(TEST_DATABASE_SERVER_URL);
    url.pathname = `/${name}`;
    const migrated = new pg.Client({ connectionString: url.toString() });
    try {
      const c = onlyContainer(migrationPod().spec!);
      const env = containerEnvironment(manifests, c);
      expect(Object.keys(env)).toEqual(['DATABASE_URL', 'DATABASE_APP_ROLE', 'DATABASE_WORKER_ROLE']);
      // The Job holds the owner's URL, never the apps' (consentry-common's): the roles differ.
      const userOf = (app: string) => new URL(podEnv(app).DATABASE_URL!).username;
      expect(new URL(env.DATABASE_URL!).username).not.toBe(userOf('api'));
      expect(userOf('api')).toBe(env.DATABASE_APP_ROLE);
      expect(userOf('auth-server')).toBe(env.DATABASE_APP_ROLE);
      // The worker's Secret, after consentry-common in its envFrom, gives it its own role.
      expect(userOf('worker')).toBe(env.DATABASE_WORKER_ROLE);
      const jobOutput: string[] = [];
      const child = spawnCommand(c.command!, { ...env, DATABASE_URL: url.toString(), DATABASE_APP_ROLE: appRole, DATABASE_WORKER_ROLE: workerRole }, jobOutput, 'migrate');
      expect(await exited(child), jobOutput.join('\n')).toBe(0);
      expect(jobOutput.join('\n')).toMatch(/applied: /);
      expect(jobOutput.join('\n')).toContain(`granted the application role ${appRole}`);
      expect(jobOutput.join('\n')).toContain(`granted the worker's role ${workerRole}`);
      await migrated.connect();
      const { rows } = await migrated.query<{ count: string }>('SELECT count(*) FROM schema_migration');
      expect(Number(rows[0]!.count)).toBe(MIGRATIONS.length);
      const privilegesOf = async (role: string) =>
        (
          await migrated.query<{ payments: boolean; outbox: boolean; relay: boolean; append: boolean; rewrite: boolean; cut: boolean }>(
            // has_table_privilege with a list asks for any of them: each is asked alone.
            `SELECT has_table_privilege($1, 'payment_consent', 'INSERT') AND has_table_privilege($1, 'payment_consent', 'UPDATE')
                      AND has_table_privilege($1, 'payment_consent', 'DELETE') AS payments, has_table_privilege($1, 'audit_outbox', 'INSERT') AS outbox,
                    has_table_privilege($1, 'audit_outbox', 'SELECT') AND has_table_privilege($1, 'audit_outbox', 'DELETE') AS relay,
                    has_table_privilege($1, 'audit_log', 'INSERT') AS append,
                    has_table_privilege($1, 'audit_log', 'UPDATE') OR has_table_privilege($1, 'audit_log', 'DELETE') AS rewrite,
                    has_table_privilege($1, 'audit_retention_cut', 'INSERT') AS cut`,
            [role],
          )
        ).rows[0];
      expect(await privilegesOf(appRole)).toEqual({ payments: true, outbox: true, relay: false, append: false, rewrite: false, cut: false });
      expect(await privilegesOf(workerRole)).toEqual({ payments: true, outbox: true, relay: true, append: true, rewrite: false, cut: false });
    } finally {
      await migrated.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS "${appRole}"`);
      await admin.query(`DROP ROLE IF EXISTS "${workerRole}"`);
      await admin.end();
    }
  }, 60_000);
});
