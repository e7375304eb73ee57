import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadAll } from 'js-yaml';
import type { IContainer, IPodSpec, IVolume } from 'kubernetes-models/v1';
import { ConfigMap, IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { INamespace, Namespace } from 'kubernetes-models/v1/Namespace';
import { ISecret, Secret } from 'kubernetes-models/v1/Secret';
import { IService, Service } from 'kubernetes-models/v1/Service';
import { Deployment, IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler, IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { IJob, Job } from 'kubernetes-models/batch/v1/Job';
import { INetworkPolicy, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { IPodDisruptionBudget, PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';

import { ROOT } from '../../../../scripts/platform.js';

export const MANIFESTS_DIR = join(ROOT, 'deploy/kubernetes');

/** One YAML document of deploy/kubernetes, with the file it came from. */
export interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  doc: Record<string, unknown>;
}

// Each kind the manifests use, built as its kubernetes-models class (whose validate() checks the
// document against the Kubernetes OpenAPI schema of that kind).
const MODELS: Record<string, (doc: unknown) => { validate(): void }> = {
  'v1/Namespace': (doc) => new Namespace(doc as INamespace),
  'v1/ConfigMap': (doc) => new ConfigMap(doc as IConfigMap),
  'v1/Secret': (doc) => new Secret(doc as ISecret),
  'v1/Service': (doc) => new Service(doc as IService),
  'apps/v1/Deployment': (doc) => new Deployment(doc as IDeployment),
  'autoscaling/v2/HorizontalPodAutoscaler': (doc) => new HorizontalPodAutoscaler(doc as IHorizontalPodAutoscaler),
  'policy/v1/PodDisruptionBudget': (doc) => new PodDisruptionBudget(doc as IPodDisruptionBudget),
  'batch/v1/Job': (doc) => new Job(doc as IJob),
  'networking.k8s.io/v1/NetworkPolicy': (doc) => new NetworkPolicy(doc as INetworkPolicy),
};

/** Validates one document against its kind's schema; throws with the schema's complaint, or for an unknown kind. */
export function validateManifest(doc: { apiVersion?: unknown; kind?: unknown }): void {
  const model = MODELS[`${String(doc.apiVersion)}/${String(doc.kind)}`];
  if (!model) throw new Error(`no schema for ${String(doc.apiVersion)} ${String(doc.kind)}`);
  model(doc).validate();
}

/** Every document of every .yaml file under deploy/kubernetes but kustomization.yaml. */
export function loadManifests(): Manifest[] {
  return manifestFiles().flatMap((file) =>
    loadAll(readFileSync(join(MANIFESTS_DIR, file), 'utf8'))
      .filter((doc): doc is Record<string, unknown> => doc !== null && typeof doc === 'object')
      .map((doc) => ({ file, apiVersion: String(doc.apiVersion), kind: String(doc.kind), metadata: doc.metadata as { name: string }, doc })),
  );
}

export function manifestFiles(): string[] {
  return readdirSync(MANIFESTS_DIR)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .sort();
}

/** The one manifest of that kind and name; throws when there is none. */
export function manifest<T>(manifests: Manifest[], kind: string, name: string): T {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`deploy/kubernetes has no ${kind} ${name}`);
  return found.doc as T;
}

/** A ConfigMap's data, or a Secret's (stringData, and data decoded from base64), as the pod reads them. */
export function dataOf(manifests: Manifest[], kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> {
  if (kind === 'ConfigMap') return { ...(manifest<IConfigMap>(manifests, kind, name).data ?? {}) };
  const secret = manifest<ISecret>(manifests, kind, name);
  const decoded = Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
  return { ...decoded, ...(secret.stringData ?? {}) };
}

/**
 * The environment a container sees: its envFrom ConfigMaps and Secrets in order, then its env entries
 * (values, and keys of ConfigMaps and Secrets), as the kubelet resolves them.
 */
export function containerEnvironment(manifests: Manifest[], container: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, dataOf(manifests, 'ConfigMap', source.configMapRef.name!));
    if (source.secretRef) Object.assign(env, dataOf(manifests, 'Secret', source.secretRef.name!));
  }
  for (const entry of container.env ?? []) {
    const ref = entry.valueFrom?.configMapKeyRef ?? entry.valueFrom?.secretKeyRef;
    const kind = entry.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const value = ref ? dataOf(manifests, kind, ref.name!)[ref.key] : entry.value;
    if (value === undefined) throw new Error(`${container.name}: ${entry.name} resolves to nothing`);
    env[entry.name] = value;
  }
  return env;
}

/** The pod's one container (each Deployment and the Job run one). */
export function onlyContainer(spec: IPodSpec): IContainer {
  if (spec.containers.length !== 1) throw new Error(`expected one container, found ${spec.containers.length}`);
  return spec.containers[0]!;
}

/** The volume behind each of the container's mount paths. */
export function mountedVolumes(spec: IPodSpec, container: IContainer): Array<{ mountPath: string; volume: IVolume }> {
  return (container.volumeMounts ?? []).map((mount) => {
    const volume = (spec.volumes ?? []).find((v) => v.name === mount.name);
    if (!volume) throw new Error(`${container.name} mounts ${mount.name}, which the pod does not define`);
    return { mountPath: mount.mountPath, volume };
  });
}

/** A container port given by name or number, as a probe or a Service's targetPort names it. */
export function containerPort(container: IContainer, port: number | string | undefined): number {
  if (typeof port === 'number') return port;
  const found = (container.ports ?? []).find((p) => p.name === port);
  if (!found) throw new Error(`${container.name} has no port named ${String(port)}`);
  return found.containerPort;
}

/** A Dockerfile's stages: name, base (an image or an earlier stage), and its USER and CMD instructions. */
export interface DockerStage {
  name: string;
  from: string;
  instructions: Array<{ keyword: string; args: string }>;
}

export function parseDockerfile(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  // Continuation lines join their instruction; comments and blank lines go.
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ name: name ?? String(stages.length), from, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/** The last value of an instruction in a stage, following its base stages (USER and CMD are inherited). */
export function effectiveInstruction(stages: DockerStage[], stageName: string, keyword: string): string | undefined {
  const stage = stages.find((s) => s.name === stageName);
  if (!stage) return undefined;
  const own = stage.instructions.filter((i) => i.keyword === keyword).at(-1);
  return own?.args ?? effectiveInstruction(stages, stage.from, keyword);
}
