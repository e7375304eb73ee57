import { createHash } from 'node:crypto';

import { CompactSign, compactVerify, createLocalJWKSet, type CryptoKey, type JSONWebKeySet, type KeyObject } from 'jose';

import { canonicalJson, computeAuditEntryHash } from './audit-chain.js';
import { ndjsonByteLines, ndjsonLine } from './ndjson.js';

// An admin's NDJSON export of a search of the audit log (the console's "Export NDJSON", the admin API's
// export) ends with a trailer line signed by the bank: how many entries the file holds, the SHA-256 of
// every byte before the trailer, and the log's head it was cut at. With the bank's public message-signing
// keys (the API's /.well-known/message-signing-jwks.json), the file alone then proves it is whole and the
// bank's: an entry taken out or added, a line changed or a tail cut off no longer matches.

export const AUDIT_SEARCH_EXPORT_TRAILER_KIND = 'consentry.audit-search-export';
// The JWS's typ: a trailer is never taken for an OB message signature, a token or a checkpoint.
const TRAILER_TYP = 'consentry-audit-export+jws';
const SIGNING_ALG = 'PS256';

/** What a trailer states of its export. */
export interface AuditSearchExportSummary {
  /** Entries in the file. */
  rows: number;
  /** The log's head when the export began: no entry after it is in the file. */
  throughSeq: string;
  /** That head entry's hash (null for an empty log): the chain the file was cut from. */
  headHash: string | null;
  /** The search exported, as the `audit.exported` entry records it. */
  filter: Record<string, unknown>;
  exportedAt: string;
  /** SHA-256 (hex) of the file's bytes before the trailer line. */
  sha256: string;
}

/** The trailer line: its summary, readable as it is, and the bank's compact JWS over that summary. */
export interface AuditSearchExportTrailer extends AuditSearchExportSummary {
  kind: typeof AUDIT_SEARCH_EXPORT_TRAILER_KIND;
  jws: string;
}

/** The last line of an export: `summary` signed with the bank's message-signing key. */
export async function auditSearchExportTrailerLine(summary: AuditSearchExportSummary, signer: { key: CryptoKey | KeyObject; kid: string }): Promise<string> {
  const jws = await new CompactSign(new TextEncoder().encode(canonicalJson(summary)))
    .setProtectedHeader({ alg: SIGNING_ALG, kid: signer.kid, typ: TRAILER_TYP })
    .sign(signer.key);
  const trailer: AuditSearchExportTrailer = { kind: AUDIT_SEARCH_EXPORT_TRAILER_KIND, ...summary, jws };
  return ndjsonLine(trailer);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export type AuditSearchExportVerification = { ok: true; summary: AuditSearchExportSummary } | { ok: false; reason: string };

/** An entry line of an export, as hashed in the log. */
export interface ExportedEntry {
  seq: string;
  eventId: string;
  type: string;
  occurredAt: string;
  event: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/**
 * Verifies an NDJSON export of an audit search against the bank's public message-signing keys: every
 * entry's hash recomputes from its content, entries follow one another in `seq` order (and link where
 * their `seq`s are consecutive), and the last line is a trailer whose signature verifies, whose summary is
 * the one signed, and whose count, digest and head match the file.
 */
export async function verifyAuditSearchExport(file: string, publicJwks: JSONWebKeySet): Promise<AuditSearchExportVerification> {
  // Lines are split on line feeds alone and hashed as the bytes they are: exactly what the API wrote.
  const digest = createHash('sha256');
  let pending: { line: Buffer; cut: boolean } | undefined;
  let entries = 0;
  let previous: ExportedEntry | undefined;
  for await (const read of ndjsonByteLines(file)) {
    if (pending !== undefined) {
      const reason = checkEntryLine(textOf(pending.line), previous);
      if (typeof reason === 'string') return { ok: false, reason: `line ${entries + 1}: ${reason}` };
      previous = reason;
      entries += 1;
      digest.update(pending.line);
      digest.update('\n');
    }
    pending = read;
  }
  if (pending === undefined) return { ok: false, reason: 'the file has no trailer: it was cut short, or is not an NDJSON export of the audit log' };
  if (pending.cut) return { ok: false, reason: 'the last line is not a whole trailer: the file was cut short' };
  let trailer: AuditSearchExportTrailer;
  try {
    trailer = JSON.parse(textOf(pending.line) ?? '') as AuditSearchExportTrailer;
  } catch {
    return { ok: false, reason: 'the last line is not a trailer: the file was cut short' };
  }
  if (trailer?.kind !== AUDIT_SEARCH_EXPORT_TRAILER_KIND || typeof trailer.jws !== 'string') return { ok: false, reason: 'the last line is not a trailer: the file was cut short' };
  let signed: AuditSearchExportSummary;
  try {
    const { payload, protectedHeader } = await compactVerify(trailer.jws, createLocalJWKSet(publicJwks), { algorithms: [SIGNING_ALG] });
    if (protectedHeader.typ !== TRAILER_TYP) return { ok: false, reason: 'the trailer is not signed as an audit export trailer' };
    signed = JSON.parse(new TextDecoder().decode(payload)) as AuditSearchExportSummary;
  } catch {
    return { ok: false, reason: 'the trailer’s signature does not verify with the bank’s message-signing keys' };
  }
  const { kind: _kind, jws: _jws, ...stated } = trailer;
  if (canonicalJson(stated) !== canonicalJson(signed)) return { ok: false, reason: 'the trailer’s readable summary is not the one signed' };
  if (signed.rows !== entries) return { ok: false, reason: `the file holds ${entries} entries, the trailer ${signed.rows}` };
  if (digest.digest('hex') !== signed.sha256) return { ok: false, reason: 'the entries are not the ones exported (SHA-256 differs)' };
  if (previous && BigInt(previous.seq) > BigInt(signed.throughSeq)) return { ok: false, reason: `entry ${previous.seq} is past the head the export was cut at (${signed.throughSeq})` };
  if (previous && previous.seq === signed.throughSeq && previous.hash !== signed.headHash) return { ok: false, reason: 'the head entry is not the one the export was cut at' };
  return { ok: true, summary: signed };
}

/** A line's bytes as UTF-8 text; undefined when they are not UTF-8. */
function textOf(line: Buffer): string | undefined {
  try {
    return UTF8.decode(line);
  } catch {
    return undefined;
  }
}

/** An entry line checked on its own and against the entry before it; the entry, or why it fails. */
function checkEntryLine(line: string | undefined, previous: ExportedEntry | undefined): ExportedEntry | string {
  if (line === undefined) return 'not UTF-8';
  let entry: ExportedEntry;
  try {
    entry = JSON.parse(line) as ExportedEntry;
  } catch {
    return 'not JSON';
  }
  if (typeof entry?.seq !== 'string' || !/^[1-9]\d*$/.test(entry.seq) || typeof entry.prevHash !== 'string' || typeof entry.hash !== 'string') return 'not an audit entry';
  const seq = BigInt(entry.seq);
  if (previous && seq <= BigInt(previous.seq)) return `entry ${entry.seq} does not follow entry ${previous.seq}`;
  if (previous && seq === BigInt(previous.seq) + 1n && entry.prevHash !== previous.hash) return `entry ${entry.seq} does not link to entry ${previous.seq}`;
  const hash = computeAuditEntryHash(entry.prevHash, { seq, eventId: entry.eventId, type: entry.type, occurredAt: entry.occurredAt, event: entry.event });
  return hash === entry.hash ? entry : `entry ${entry.seq}'s hash does not match its content`;
}
