import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import { AUDIT_GENESIS_HASH, computeAuditEntryHash } from './audit-chain.js';
import { auditSearchExportTrailerLine, ExportedEntry, verifyAuditSearchExport } from './audit-search-export.js';
import { ndjsonLine } from './ndjson.js';

type Entry = ExportedEntry;

/** A chain of `count` entries from seq 1, as the log holds them. */
function chain(count: number): Entry[] {
  const entries: Entry[] = [];
  let prevHash = AUDIT_GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const content = { seq: BigInt(seq), eventId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`, type: 'consent.created', occurredAt: '2026-12-07T10:00:00.000Z', event: { n: seq } };
    const hash = computeAuditEntryHash(prevHash, content);
    entries.push({ seq: String(seq), eventId: content.eventId, type: content.type, occurredAt: content.occurredAt, event: content.event, prevHash, hash });
    prevHash = hash;
  }
  return entries;
}

describe('an NDJSON export of an audit search proves from the file alone that it is whole and the bank’s', () => {
  let key: CryptoKey;
  let jwks: JSONWebKeySet;
  let otherKey: CryptoKey;
  let dir: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('PS256', { extractable: true });
    key = pair.privateKey;
    jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'bank-1', alg: 'PS256', use: 'sig' }] };
    otherKey = (await generateKeyPair('PS256')).privateKey;
    dir = await mkdtemp(join(tmpdir(), 'audit-search-export-'));
  });

  /** The file as the API writes it: the chosen entries, then the trailer signed over them. */
  async function exportOf(entries: Entry[], head: Entry, signWith: CryptoKey = key, line: (entry: Entry) => string = ndjsonLine): Promise<string> {
    const body = entries.map(line).join('');
    const { createHash } = await import('node:crypto');
    const summary = { rows: entries.length, throughSeq: head.seq, headHash: head.hash, filter: { type: 'consent.created' }, exportedAt: '2026-12-07T11:00:00.000Z', sha256: createHash('sha256').update(body).digest('hex') };
    const file = join(dir, `export-${Math.random().toString(36).slice(2)}.ndjson`);
    await writeFile(file, body + (await auditSearchExportTrailerLine(summary, { key: signWith, kid: 'bank-1' })));
    return file;
  }

  async function rewrite(file: string, change: (lines: string[]) => string[]): Promise<string> {
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    await writeFile(file, change(lines).map((line) => `${line}\n`).join(''));
    return file;
  }

  it('verifies a whole export, filtered (entries that do not follow one another) or not, and an empty one', async () => {
    const entries = chain(6);
    await expect(verifyAuditSearchExport(await exportOf(entries, entries[5]!), jwks)).resolves.toMatchObject({ ok: true, summary: { rows: 6, throughSeq: '6' } });
    await expect(verifyAuditSearchExport(await exportOf([entries[1]!, entries[4]!], entries[5]!), jwks)).resolves.toMatchObject({ ok: true, summary: { rows: 2 } });
    await expect(verifyAuditSearchExport(await exportOf([], entries[5]!), jwks)).resolves.toMatchObject({ ok: true, summary: { rows: 0 } });
  });

  it('refuses a file cut short, an entry taken out, one added with a hash of its own making, one changed', async () => {
    const entries = chain(6);
    const reasons: Record<string, unknown> = {};
    reasons.cut = await verifyAuditSearchExport(await rewrite(await exportOf(entries, entries[5]!), (lines) => lines.slice(0, 3)), jwks);
    reasons.removed = await verifyAuditSearchExport(await rewrite(await exportOf(entries, entries[5]!), (lines) => [...lines.slice(0, 2), ...lines.slice(3)]), jwks);
    const forged = { ...entries[5]!, seq: '7', eventId: '00000000-0000-4000-8000-999999999999', prevHash: entries[5]!.hash };
    forged.hash = computeAuditEntryHash(forged.prevHash, { seq: 7n, eventId: forged.eventId, type: forged.type, occurredAt: forged.occurredAt, event: forged.event });
    reasons.added = await verifyAuditSearchExport(await rewrite(await exportOf(entries, entries[5]!), (lines) => [...lines.slice(0, 6), JSON.stringify(forged), lines[6]!]), jwks);
    reasons.changed = await verifyAuditSearchExport(await rewrite(await exportOf(entries, entries[5]!), (lines) => lines.map((line, i) => (i === 2 ? line.replace('"n":3', '"n":33') : line))), jwks);
    expect(reasons).toEqual({
      cut: { ok: false, reason: 'the last line is not a trailer: the file was cut short' },
      removed: { ok: false, reason: 'the file holds 5 entries, the trailer 6' },
      added: { ok: false, reason: 'the file holds 7 entries, the trailer 6' },
      changed: { ok: false, reason: "line 3: entry 3's hash does not match its content" },
    });
  });

  it('verifies an entry holding U+2028 and U+2029 (written escaped), and refuses a copy whose line ends or bytes changed', async () => {
    // Until 7 December 2026 the verifier read lines as Node's readline does, which splits at U+2028: a
    // real export of a search for "aac-x\u2028y" read as broken, and a copy with CRLF line ends as whole.
    const [first] = chain(1);
    const content = { seq: 2n, eventId: '00000000-0000-4000-8000-000000000002', type: 'audit.searched', occurredAt: '2026-12-07T10:00:00.000Z', event: { filter: 'aac-x\u2028y\u2029z' } };
    const hash = computeAuditEntryHash(first!.hash, content);
    const odd: Entry = { seq: '2', eventId: content.eventId, type: content.type, occurredAt: content.occurredAt, event: content.event, prevHash: first!.hash, hash };
    const file = await exportOf([first!, odd], odd);
    expect(await readFile(file, 'utf8')).toContain('aac-x\\u2028y\\u2029z');
    await expect(verifyAuditSearchExport(file, jwks)).resolves.toMatchObject({ ok: true, summary: { rows: 2 } });
    // Written raw by another writer, the same entries verify too: lines end at line feeds alone.
    const raw = await exportOf([first!, odd], odd, key, (entry) => `${JSON.stringify(entry)}\n`);
    expect(await readFile(raw, 'utf8')).toContain('aac-x\u2028y');
    await expect(verifyAuditSearchExport(raw, jwks)).resolves.toMatchObject({ ok: true, summary: { rows: 2 } });
    const text = await readFile(file, 'utf8');
    const crlf = join(dir, 'crlf.ndjson');
    await writeFile(crlf, text.replace(/\n/g, '\r\n'));
    await expect(verifyAuditSearchExport(crlf, jwks)).resolves.toMatchObject({ ok: false });
    const unterminated = join(dir, 'unterminated.ndjson');
    await writeFile(unterminated, text.slice(0, -1));
    await expect(verifyAuditSearchExport(unterminated, jwks)).resolves.toEqual({ ok: false, reason: 'the last line is not a whole trailer: the file was cut short' });
  });

  it('refuses a trailer whose readable summary was edited, or signed with a key that is not the bank’s', async () => {
    const entries = chain(3);
    const edited = await rewrite(await exportOf(entries.slice(0, 2), entries[2]!), (lines) => [...lines.slice(0, 2), lines[2]!.replace('"rows":2', '"rows":3')]);
    await expect(verifyAuditSearchExport(edited, jwks)).resolves.toEqual({ ok: false, reason: 'the trailer’s readable summary is not the one signed' });
    const foreign = await exportOf(entries, entries[2]!, otherKey);
    await expect(verifyAuditSearchExport(foreign, jwks)).resolves.toEqual({ ok: false, reason: 'the trailer’s signature does not verify with the bank’s message-signing keys' });
  });
});
