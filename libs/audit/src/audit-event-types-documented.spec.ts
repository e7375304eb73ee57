import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { AUDIT_EVENT_TYPES } from './audit-event.js';

const AUDIT_MD = readFileSync(new URL('../../../docs/audit.md', import.meta.url), 'utf8');

/** The types the table of docs/audit.md's "What is audited" section names, in backticks. */
function documentedTypes(): string[] {
  const section = /## What is audited\n([\s\S]*?)\n## /.exec(AUDIT_MD)?.[1] ?? '';
  const rows = section.split('\n').filter((line) => line.startsWith('|'));
  return rows.flatMap((row) => [...row.matchAll(/`([a-z]+(?:\.[a-z][a-z-]*)+)`/g)].map((match) => match[1]!));
}

describe('docs/audit.md', () => {
  it('documents every audit event type in its table', () => {
    const documented = new Set(documentedTypes());
    expect(AUDIT_EVENT_TYPES.filter((type) => !documented.has(type))).toEqual([]);
  });

  it('names no event type that does not exist', () => {
    const known = new Set<string>(AUDIT_EVENT_TYPES);
    expect(documentedTypes().filter((type) => !known.has(type))).toEqual([]);
  });
});
