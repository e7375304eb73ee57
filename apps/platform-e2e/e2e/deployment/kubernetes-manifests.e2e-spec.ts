import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadApiConfig, loadAuthServerConfig, loadWorkerConfig } from '@consentry/config';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { loadAll } from 'js-yaml';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, ROOT } from '../../../../scripts/platform.js';

const MANIFESTS = join(ROOT, 'deploy/kubernetes');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Each manifest kind, as the Kubernetes schema (kubernetes-models) validates it. */
const MODELS: Record<string, (manifest: Manifest) => { validate(): void }> = {
  'apps/v1/Deployment': (m) => new Deployment(m as unknown as ConstructorParameters<typeof Deployment>[0]),
  'apps/v1/StatefulSet': (m) => new StatefulSet(m as unknown as ConstructorParameters<typeof StatefulSet>[0]),
  'autoscaling/v2/HorizontalPodAutoscaler': (m) => new HorizontalPodAutoscaler(m as unknown as ConstructorParameters<typeof HorizontalPodAutoscaler>[0]),
  'batch/v1/Job': (m) => new Job(m as unknown as ConstructorParameters<typeof Job>[0]),
  'networking.k8s.io/v1/NetworkPolicy': (m) => new NetworkPolicy(m as unknown as ConstructorParameters<typeof NetworkPolicy>[0]),
  'policy/v1/PodDisruptionBudget': (m) => new PodDisruptionBudget(m as unknown as ConstructorParameters<typeof PodDisruptionBudget>[0]),
  'v1/ConfigMap': (m) => new ConfigMap(m as unknown as ConstructorParameters<typeof ConfigMap>[0]),
  'v1/PersistentVolumeClaim': (m) => new PersistentVolumeClaim(m as unknown as ConstructorParameters<typeof PersistentVolumeClaim>[0]),
  'v1/Secret': (m) => new Secret(m as unknown as ConstructorParameters<typeof Secret>[0]),
  'v1/Service': (m) => new Service(m as unknown as ConstructorParameters<typeof Service>[0]),
};

function modelOf(manifest: Manifest): { validate(): void } {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind} (${manifest.metadata.name})`);
  return model(manifest);
}

/** The apps: their Deployment, the config loader their main.ts runs, and the variable naming their port. */
const APPS = [
  { name: 'api', load: loadApiConfig, portVariable: 'API_PORT' },
  { name: 'auth-server', load: loadAuthServerConfig, portVariable: 'AUTH_SERVER_PORT' },
  { name: 'worker', load: loadWorkerConfig, portVariable: 'WORKER_PORT' },
] as const;

// Values of the right shape for the Secret's placeholders, made per run (what a secret store holds).
function secretValues(): Record<string, string> {
  return {
    DATABASE_URL: 'postgres://consentry:secret@postgres:5432/consentry',
    REDIS_URL: 'redis://:secret@redis:6379',
    SECRETS_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    SMTP_URL: 'smtp://relay:secret@smtp.bank.example:587',
  };
}

/** Every variable libs/config reads (the same scan as libs/config's environment-documented spec). */
async function variablesLibsConfigReads(): Promise<Set<string>> {
  const dir = join(ROOT, 'libs/config/src');
  const names = new Set<string>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))) {
    const text = await readFile(join(dir, file), 'utf8');
    for (const match of text.matchAll(/\bread\.[a-zA-Z]+\(\s*'([A-Z][A-Z0-9_]*)'/g)) names.add(match[1]!);
    for (const match of text.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) names.add(match[1]!);
  }
  return names;
}

describe('deploy/kubernetes', () => {
  let manifests: Manifest[];
  const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
  const named = (kind: string, name: string) => {
    const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name}`);
    return found;
  };
  const containerOf = (deployment: Manifest) => (deployment as unknown as { spec: { template: { spec: { containers: IContainer[] } } } }).spec.template.spec.containers[0]!;

  /** What the pod's process sees: the ConfigMap, the Secret (with `secrets` for its placeholders) and the container's own env. */
  function podEnvironment(deployment: Manifest, secrets: Record<string, string>): Record<string, string> {
    const container = containerOf(deployment);
    const env: Record<string, string> = {};
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef) Object.assign(env, (named('ConfigMap', source.configMapRef.name!) as unknown as { data: Record<string, string> }).data);
      if (source.secretRef) {
        const secret = named('Secret', source.secretRef.name!) as unknown as { stringData: Record<string, string> };
        for (const key of Object.keys(secret.stringData)) {
          if (!(key in secrets)) throw new Error(`the test has no value for the Secret's ${key}`);
          env[key] = secrets[key]!;
        }
      }
    }
    for (const variable of container.env ?? []) env[variable.name] = variable.value!;
    return env;
  }

  beforeAll(async () => {
    const files = (await readdir(MANIFESTS)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    manifests = [];
    for (const file of files) manifests.push(...(loadAll(await readFile(join(MANIFESTS, file), 'utf8')) as Manifest[]));
  });

  it('lists every manifest file in its kustomization', async () => {
    const kustomization = loadAll(await readFile(join(MANIFESTS, 'kustomization.yaml'), 'utf8'))[0] as { resources: string[] };
    const files = (await readdir(MANIFESTS)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('validates every manifest against the Kubernetes schema, and the schema refuses a broken one', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(15);
    for (const manifest of manifests) expect(() => modelOf(manifest).validate(), `${manifest.kind} ${manifest.metadata.name}`).not.toThrow();
    // The validation bites: a probe's port of the wrong type, a replica count as text.
    const broken = structuredClone(named('Deployment', 'consentry-api')) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    expect(() => modelOf(broken as unknown as Manifest).validate()).toThrow();
  });

  it('gives each app a Deployment, a HorizontalPodAutoscaler and a PodDisruptionBudget, and the HTTP apps a Service', () => {
    for (const app of APPS) {
      const name = `consentry-${app.name}`;
      named('Deployment', name);
      const hpa = named('HorizontalPodAutoscaler', name) as unknown as { spec: { scaleTargetRef: { name: string }; minReplicas: number } };
      expect(hpa.spec.scaleTargetRef.name).toBe(name);
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect((named('PodDisruptionBudget', name) as unknown as { spec: { selector: { matchLabels: Record<string, string> } } }).spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
    }
    expect(byKind('Service').map((s) => s.metadata.name).sort()).toEqual(['consentry-api', 'consentry-auth-server']);
    expect(containerOf(named('Job', 'consentry-migrate')).command).toEqual(['node', 'scripts/db-migrate.js']);
  });

  it('runs every container as non-root on a read-only root filesystem, without privileges, and ships no key', () => {
    for (const workload of [...byKind('Deployment'), ...byKind('Job')]) {
      const pod = (workload as unknown as { spec: { template: { spec: { securityContext: Record<string, unknown>; automountServiceAccountToken: boolean } } } }).spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(containerOf(workload).securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
    for (const secret of byKind('Secret')) {
      for (const value of Object.values((secret as unknown as { stringData: Record<string, string> }).stringData)) expect(value).toContain('CHANGE-ME');
    }
    expect(byKind('NetworkPolicy').find((p) => p.metadata.name === 'consentry-default-deny')).toMatchObject({ spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  });

  it('wires the ConfigMap, the Secret and each container’s env to variables libs/config reads, and nothing else', async () => {
    const read = await variablesLibsConfigReads();
    for (const app of APPS) {
      const unknown = Object.keys(podEnvironment(named('Deployment', `consentry-${app.name}`), secretValues())).filter((name) => !read.has(name));
      expect(unknown, app.name).toEqual([]);
    }
  });

  it('gives each Deployment an environment its app’s config loader accepts in production mode', () => {
    for (const app of APPS) {
      const env = podEnvironment(named('Deployment', `consentry-${app.name}`), secretValues());
      expect(env.CONSENTRY_MODE).toBe('production');
      const config = app.load(env);
      expect(config.mode).toBe('production');
      expect(config.databasePoolSize).toBe(Number(env.DATABASE_POOL_SIZE));
    }
    // Without the Secret the loaders refuse: production needs its keys.
    const { SECRETS_KEYS: _keys, ...withoutKeys } = podEnvironment(named('Deployment', 'consentry-api'), secretValues());
    expect(() => loadApiConfig(withoutKeys)).toThrow(/SECRETS_KEY/);
  });

  it('sizes the pools so that every pod at its autoscaler’s maximum, and the migration Job, fit in max_connections', () => {
    const annotations = named('ConfigMap', 'consentry-config').metadata.annotations!;
    const budget = Number(annotations['consentry.example/postgres-max-connections']) - Number(annotations['consentry.example/postgres-reserved-connections']);
    let total = 10; // the migration Job: one process, its pool's default of 10
    for (const app of APPS) {
      const env = podEnvironment(named('Deployment', `consentry-${app.name}`), secretValues());
      const maxReplicas = (named('HorizontalPodAutoscaler', `consentry-${app.name}`) as unknown as { spec: { maxReplicas: number } }).spec.maxReplicas;
      total += maxReplicas * Number(env.DATABASE_POOL_SIZE);
    }
    expect(total).toBeLessThanOrEqual(budget);
  });

  it('probes each app on its own port at the health paths it serves', () => {
    for (const app of APPS) {
      const deployment = named('Deployment', `consentry-${app.name}`);
      const container = containerOf(deployment);
      const env = podEnvironment(deployment, secretValues());
      const httpPort = container.ports!.find((p) => p.name === 'http')!;
      expect(String(httpPort.containerPort)).toBe(env[app.portVariable]);
      expect(container.readinessProbe!.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(container.livenessProbe!.httpGet).toEqual({ path: '/health/live', port: 'http' });
    }
  });

  it('builds a multi-stage, non-root image whose default command is the API’s Deployment command', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).not.toMatch(/COPY[^\n]*(\.data|jwks|\.pem|\.key)/);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd).toEqual(containerOf(named('Deployment', 'consentry-api')).command);
    const ignored = (await readFile(join(ROOT, '.dockerignore'), 'utf8')).split('\n');
    for (const path of ['.data', '.git', '**/node_modules']) expect(ignored).toContain(path);
  });

  describe('each Deployment’s command, run as the pod runs it (from the built apps)', () => {
    let db: TestDatabase;
    let redis: TestRedis;
    let dataDir: string;
    const running: ChildProcess[] = [];

    beforeAll(async () => {
      db = await createTestDatabase('kubernetes_commands');
      redis = createTestRedis('kubernetes_commands');
      dataDir = await mkdtemp(join(tmpdir(), 'consentry-kubernetes-'));
      await writeFile(join(dataDir, 'deny-list.json'), '[]');
    });

    afterAll(async () => {
      for (const child of running) child.kill('SIGTERM');
      await Promise.all(running.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
      await redis?.cleanup();
      await db?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('starts each app, which answers both its probes with 200 on the probe port', async () => {
      const ports = { api: await freePort(), 'auth-server': await freePort(), worker: await freePort() };
      for (const app of APPS) {
        const deployment = named('Deployment', `consentry-${app.name}`);
        const container = containerOf(deployment);
        const env: Record<string, string> = {
          ...podEnvironment(deployment, secretValues()),
          // The suite's own database, Redis prefix and free ports stand for the cluster's; sandbox mode
          // generates the keys the pod would mount (the production environment is the loader test's).
          CONSENTRY_MODE: 'sandbox',
          DATABASE_URL: db.url,
          REDIS_URL: redis.url,
          REDIS_PREFIX: redis.prefix,
          CONSENTRY_DATA_DIR: dataDir,
          AUDIT_CHECKPOINT_DIR: join(dataDir, 'audit/checkpoints'),
          AUDIT_EXPORT_DIR: join(dataDir, 'audit/exports'),
          RISK_DENY_LIST_FILE: join(dataDir, 'deny-list.json'),
          SECRETS_KEY: randomBytes(32).toString('base64'),
          API_URL: `http://localhost:${ports.api}`,
          AUTH_SERVER_URL: `http://localhost:${ports['auth-server']}`,
          [app.portVariable]: String(ports[app.name]),
          ALERT_EMAIL: 'off',
          LOG_LEVEL: 'warn',
          PATH: process.env.PATH ?? '',
        };
        for (const file of ['SIGNING_JWKS_FILE', 'MESSAGE_SIGNING_JWKS_FILE', 'AUDIT_CHECKPOINT_KEY_FILE', 'SECRETS_KEYS', 'COOKIE_KEYS', 'SMTP_URL']) delete env[file];
        const [command, ...args] = container.command!;
        expect(command).toBe('node');
        const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
        running.push(child);
        const port = ports[app.name];
        const probe = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined))?.status;
        const deadline = Date.now() + 60_000;
        while ((await probe(container.readinessProbe!.httpGet!.path!)) !== 200) {
          if (child.exitCode !== null) throw new Error(`${app.name} exited with ${child.exitCode}`);
          if (Date.now() > deadline) throw new Error(`${app.name} never became ready`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(await probe(container.livenessProbe!.httpGet!.path!)).toBe(200);
      }
    }, 180_000);
  });
});
