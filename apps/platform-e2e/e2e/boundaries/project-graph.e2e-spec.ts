import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';

import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT } from '../../../../scripts/platform.js';

const run = promisify(execFile);
const NX = join(ROOT, 'node_modules', '.bin', 'nx');
// No daemon: each call reads the workspace as it is on disk now, and leaves no process behind.
const NX_ENV = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const SOURCE_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.data', 'test-output']);

interface GraphEdge {
  source: string;
  target: string;
  type: string;
}
interface ProjectGraphFile {
  graph: {
    nodes: Record<string, { data: { root: string } }>;
    dependencies: Record<string, GraphEdge[]>;
  };
}

async function nx(...args: string[]): Promise<string> {
  const { stdout } = await run(NX, args, { cwd: ROOT, env: NX_ENV, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name)) files.push(...(await sourceFiles(join(dir, entry.name))));
    else if (entry.isFile() && SOURCE_EXTENSIONS.has(extname(entry.name))) files.push(join(dir, entry.name));
  }
  return files;
}

/** The @consentry/* packages a file imports (static, dynamic and type-only), as TypeScript's own pre-parser reads them. */
function workspaceImports(text: string): string[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles.map((f) => f.fileName).filter((name) => name.startsWith('@consentry/')).map((name) => name.split('/').slice(0, 2).join('/'));
}

/**
 * The hashes Nx gives these tasks now, computed by Nx's own task hasher (the one `nx run` uses for its
 * cache), in a child process so the graph is read fresh from disk.
 */
async function taskHashes(tasks: string[]): Promise<Record<string, string>> {
  const script = `
    const { createProjectGraphAsync } = require('nx/src/devkit-exports');
    const { readNxJson } = require('nx/src/config/nx-json');
    const { createTaskGraph } = require('nx/src/tasks-runner/create-task-graph');
    const { createTaskHasher } = require('nx/src/hasher/create-task-hasher');
    (async () => {
      const graph = await createProjectGraphAsync({ exitOnError: true });
      const hasher = createTaskHasher(graph, readNxJson());
      const hashes = {};
      for (const id of ${JSON.stringify(tasks)}) {
        const [project, target] = id.split(':');
        const taskGraph = createTaskGraph(graph, {}, [project], [target], undefined, {});
        hashes[id] = (await hasher.hashTask(taskGraph.tasks[id], taskGraph, process.env)).value;
      }
      process.stdout.write(JSON.stringify(hashes));
    })();`;
  const { stdout } = await run(process.execPath, ['--input-type=commonjs', '-e', script], { cwd: ROOT, env: NX_ENV });
  const hashes = JSON.parse(stdout) as Record<string, string>;
  expect(Object.keys(hashes)).toEqual(tasks);
  for (const hash of Object.values(hashes)) expect(hash).toMatch(/^\d+$/);
  return hashes;
}

/** `nx graph`, `nx affected` and the task hashes follow the imports between projects (issue 14, Build). */
describe('Nx project graph', () => {
  let workDir: string;
  let graph: ProjectGraphFile['graph'];
  const edges = new Set<string>();

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'consentry-graph-'));
    await nx('graph', `--file=${join(workDir, 'graph.json')}`);
    graph = (JSON.parse(await readFile(join(workDir, 'graph.json'), 'utf8')) as ProjectGraphFile).graph;
    for (const [source, deps] of Object.entries(graph.dependencies)) for (const dep of deps) edges.add(`${source} -> ${dep.target}`);
  }, 120_000);
  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** Every project that depends on `project`, directly or through others. */
  function dependantsOf(project: string): Set<string> {
    const found = new Set<string>();
    const queue = [project];
    while (queue.length > 0) {
      const target = queue.shift()!;
      for (const [source, deps] of Object.entries(graph.dependencies)) {
        if (!found.has(source) && deps.some((d) => d.target === target)) {
          found.add(source);
          queue.push(source);
        }
      }
    }
    return found;
  }

  it('has an edge for every @consentry/* import in every project, tests included', async () => {
    const projects = Object.entries(graph.nodes).filter(([name]) => name.startsWith('@consentry/'));
    expect(projects.map(([name]) => name).sort()).toEqual(
      [
        'alerts', 'api', 'audit', 'auth-server', 'banking', 'config', 'consents', 'database', 'identity', 'message-signing', 'observability',
        'platform-e2e', 'redaction', 'risk', 'sandbox', 'security-e2e', 'telemetry', 'testing', 'tpps', 'validation', 'worker',
      ].map(
        (n) => `@consentry/${n}`,
      ),
    );
    const missing: string[] = [];
    let imports = 0;
    for (const [name, node] of projects) {
      for (const file of await sourceFiles(join(ROOT, node.data.root))) {
        for (const target of workspaceImports(await readFile(file, 'utf8'))) {
          if (target === name) continue;
          imports++;
          if (!edges.has(`${name} -> ${target}`)) missing.push(`${name} -> ${target} (${file.slice(ROOT.length + 1)})`);
        }
      }
    }
    expect(imports).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });

  it('has no cycle, so ^build can order the builds', () => {
    for (const name of Object.keys(graph.nodes)) expect(dependantsOf(name).has(name), name).toBe(false);
  });

  it('lists every dependant of a lib as affected by a change to one of its files', async () => {
    const affected = JSON.parse(await nx('show', 'projects', '--affected', '--files=libs/database/src/connect.ts', '--json')) as string[];
    const expected = new Set(['@consentry/database', ...dependantsOf('@consentry/database')]);
    expect(new Set(affected)).toEqual(expected);
    for (const app of ['@consentry/api', '@consentry/auth-server', '@consentry/worker', '@consentry/audit', '@consentry/consents']) expect(affected).toContain(app);
    expect(affected).not.toContain('@consentry/redaction');
  }, 120_000);

  it("changes a dependant's build and typecheck hashes when a lib file changes, and only the dependants'", async () => {
    const probe = join(ROOT, 'libs', 'database', 'src', `graph-probe-${process.pid}.ts`);
    const tasks = ['@consentry/api:build', '@consentry/api:typecheck', '@consentry/redaction:build'];
    const before = await taskHashes(tasks);
    // A new file in the lib's sources: it is not imported anywhere, so nothing that runs alongside is affected.
    await writeFile(probe, 'export const probe = 1;\n');
    try {
      const after = await taskHashes(tasks);
      expect(after['@consentry/api:build']).not.toBe(before['@consentry/api:build']);
      expect(after['@consentry/api:typecheck']).not.toBe(before['@consentry/api:typecheck']);
      expect(after['@consentry/redaction:build']).toBe(before['@consentry/redaction:build']);
    } finally {
      await rm(probe, { force: true });
    }
  }, 180_000);
});
