import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCANNED = ['apps', 'libs', 'scripts'];

// The operating system's and Node's own variables, read to pass them on, never to configure Consentry.
const NOT_OURS = new Set(['PATH', 'HOME', 'NODE_OPTIONS']);

// process.env.X, process.env['X'], env.X (a copy of process.env, as scripts/start.js keeps), and the
// EnvReader calls of libs/config (read.integer('X', ...), read.raw('X')).
const READS = [
  /\bprocess\.env\.([A-Z][A-Z0-9_]*)/g,
  /\bprocess\.env\[['"]([A-Z][A-Z0-9_]*)['"]\]/g,
  /\benv\.([A-Z][A-Z0-9_]*)\b/g,
  /\bread\.[a-zA-Z]+\(\s*['"]([A-Z][A-Z0-9_]*)['"]/g,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

const THIS_FILE = fileURLToPath(import.meta.url);

/** Every environment variable some code of apps/, libs/ or scripts/ reads, with the files that read it. */
function variablesRead(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of SCANNED.flatMap((dir) => sourceFiles(join(ROOT, dir)))) {
    if (file === THIS_FILE) continue;
    const text = readFileSync(file, 'utf8');
    for (const pattern of READS) {
      for (const match of text.matchAll(pattern)) {
        const files = found.get(match[1]!) ?? [];
        if (!files.includes(file.slice(ROOT.length))) files.push(file.slice(ROOT.length));
        found.set(match[1]!, files);
      }
    }
  }
  return found;
}

/** The variables the README's tables name: every `NAME` in a row's first cell. */
function variablesDocumented(): Set<string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const names = new Set<string>();
  for (const line of readme.split('\n')) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1] ?? '';
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(match[1]!);
  }
  return names;
}

describe('environment variables', () => {
  it('finds the reads it looks for, in libs/config and elsewhere', () => {
    const read = variablesRead();
    // The scan itself must work: a pattern that stopped matching would let every name through.
    expect(read.get('LOGIN_MAX_FAILURES')).toEqual(['libs/config/src/platform.config.ts']);
    expect(read.get('TEST_DATABASE_SERVER_URL')).toContain('libs/testing/src/test-database.ts');
    expect(read.get('SOAK_MINUTES')).toEqual(['scripts/soak.js']);
  });

  it('documents every variable read anywhere in the README', () => {
    const documented = variablesDocumented();
    const missing = [...variablesRead()].filter(([name]) => !NOT_OURS.has(name) && !documented.has(name)).map(([name, files]) => `${name} (${files.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('reads HTTP_BANK_CONNECTORS only in libs/config, since it carries a credential', () => {
    expect(variablesRead().get('HTTP_BANK_CONNECTORS')).toEqual(['libs/config/src/app.config.ts']);
  });
});
