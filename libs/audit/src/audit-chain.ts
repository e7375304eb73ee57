import { hash } from 'node:crypto';

import { AuditLogEntity, DataSource } from '@consentry/database';

import type { AuditCheckpoint } from './audit-checkpoint.js';
import { AuditEvent } from './audit-event.js';

/** The `prev_hash` of the first entry: there is no previous entry to point at. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** What an entry's hash covers. `event` is the whole redacted event as stored in `audit_log.event`. */
export interface AuditChainContent {
  seq: bigint;
  eventId: string;
  type: string;
  /** ISO 8601 instant with millisecond precision, as `Date.prototype.toISOString` writes it. */
  occurredAt: string;
  event: unknown;
}

/** One entry ready to be appended to `audit_log`. */
export interface ChainedAuditEntry extends AuditChainContent {
  event: AuditEvent;
  prevHash: string;
  hash: string;
}

/** The last entry of the log, or `null` while the log is empty. */
export interface AuditChainHead {
  seq: bigint;
  hash: string;
}

/** `$`, `$.data`, `$.data.accounts[0]`: where in a value `canonicalJson` found what it cannot hash. */
function describePath(path: readonly (string | number)[]): string {
  return `$${path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('')}`;
}

// Object keys recur in every event: their JSON form is kept rather than escaped anew each time.
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 10_000;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (quotedKeys.size < MAX_QUOTED_KEYS) quotedKeys.set(key, quoted);
  }
  return quoted;
}

// `path` is a stack of the keys above `value`, read only to name the place of an error: building a path
// string for every member would cost more than the serialisation itself.
function canonicalValue(value: unknown, path: (string | number)[]): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // NaN and Infinity have no JSON form; JSON.stringify would silently turn them into null.
      if (!Number.isFinite(value)) throw new TypeError(`cannot hash a non-finite number at ${describePath(path)}`);
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i += 1) {
          const item: unknown = value[i];
          if (i > 0) out += ',';
          path.push(i);
          out += item === undefined ? 'null' : canonicalValue(item, path);
          path.pop();
        }
        return `${out}]`;
      }
      const prototype = Object.getPrototypeOf(value) as unknown;
      if (prototype !== Object.prototype && prototype !== null) {
        // A Date or class instance would hash as whatever its toJSON happens to say; refuse instead.
        throw new TypeError(`cannot hash a non-plain object at ${describePath(path)}`);
      }
      const record = value as Record<string, unknown>;
      let out = '{';
      for (const key of Object.keys(record).sort()) {
        const member = record[key];
        if (member === undefined) continue;
        if (out.length > 1) out += ',';
        path.push(key);
        out += quotedKey(key) + canonicalValue(member, path);
        path.pop();
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`cannot hash a ${typeof value} at ${describePath(path)}`);
  }
}

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, `undefined` members left out (as
 * JSON.stringify does) and bigints written as plain numbers. The same value always gives the same text,
 * whatever order PostgreSQL's jsonb hands the keys back in.
 */
export function canonicalJson(value: unknown): string {
  return canonicalValue(value, []);
}

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** `"key":<canonical JSON of value>`, or nothing for an undefined value, as canonicalJson leaves it out. */
function canonicalMember(key: string, value: unknown): string[] {
  return value === undefined ? [] : [quotedKey(key) + canonicalValue(value, [key])];
}

/**
 * An entry's canonical content cut where its seq goes: `canonicalJson({ seq, eventId, type, occurredAt,
 * event })` is `beforeSeq + seq + afterSeq`, since `event`, `eventId` and `occurredAt` sort before `seq`
 * and `type` after it. The cut lets the costly part, the event's canonical JSON, be written before the
 * entry's place in the chain is known.
 */
export interface AuditContentAroundSeq {
  beforeSeq: string;
  afterSeq: string;
}

function contentAroundSeq(content: Omit<AuditChainContent, 'seq'>): AuditContentAroundSeq {
  const before = [
    ...canonicalMember('event', content.event),
    ...canonicalMember('eventId', content.eventId),
    ...canonicalMember('occurredAt', content.occurredAt),
  ];
  const after = canonicalMember('type', content.type);
  return { beforeSeq: `{${before.map((member) => `${member},`).join('')}"seq":`, afterSeq: `${after.map((member) => `,${member}`).join('')}}` };
}

function hashAroundSeq(prevHash: string, content: AuditContentAroundSeq, seq: bigint): string {
  return sha256Hex(`${prevHash}\n${content.beforeSeq}${canonicalValue(seq, ['seq'])}${content.afterSeq}`);
}

/** `sha256hex(prevHash + '\n' + canonicalJson({ seq, eventId, type, occurredAt, event }))`. */
export function computeAuditEntryHash(prevHash: string, content: AuditChainContent): string {
  return hashAroundSeq(prevHash, contentAroundSeq(content), content.seq);
}

/** The instant as the chain hashes it; the `occurred_at` column stores it exactly (microsecond precision). */
export function normaliseOccurredAt(occurredAt: string | Date): string {
  const date = occurredAt instanceof Date ? occurredAt : new Date(occurredAt);
  if (Number.isNaN(date.getTime())) throw new TypeError(`occurredAt is not an instant: ${String(occurredAt)}`);
  return date.toISOString();
}

/** An event made ready to be linked: everything of its entry but the seq, the previous hash and its hash. */
export interface PreparedAuditEntry extends Omit<AuditChainContent, 'seq'> {
  event: AuditEvent;
  /** The entry's canonical content around its seq, for the hash. */
  content: AuditContentAroundSeq;
}

/**
 * Does the costly half of linking `events` (their canonical JSON), which needs neither the head of the
 * log nor the chain lock: a writer can prepare one batch while the one before it commits.
 */
export function prepareAuditEntries(events: readonly AuditEvent[]): PreparedAuditEntry[] {
  return events.map((event) => {
    const fields = { eventId: event.eventId, type: event.type, occurredAt: normaliseOccurredAt(event.occurredAt), event };
    return { ...fields, content: contentAroundSeq(fields) };
  });
}

/** Links prepared entries after `head`: consecutive seqs, each hash over the previous one. Pure. */
export function linkPreparedAuditEntries(head: AuditChainHead | null, prepared: readonly PreparedAuditEntry[]): ChainedAuditEntry[] {
  let seq = head?.seq ?? 0n;
  let prevHash = head?.hash ?? AUDIT_GENESIS_HASH;
  return prepared.map(({ content, ...fields }) => {
    seq += 1n;
    const entry: ChainedAuditEntry = { ...fields, seq, prevHash, hash: hashAroundSeq(prevHash, content, seq) };
    prevHash = entry.hash;
    return entry;
  });
}

/**
 * Links events after `head`: assigns consecutive seqs and computes each entry's hash over the previous
 * one. Pure; the chain writer persists the result in one transaction.
 */
export function linkAuditEntries(head: AuditChainHead | null, events: readonly AuditEvent[]): ChainedAuditEntry[] {
  return linkPreparedAuditEntries(head, prepareAuditEntries(events));
}

export interface VerifyAuditChainOptions {
  /**
   * First seq to verify; the entry before it is trusted as the anchor. Default: the start of the log,
   * or after the last retention cut (see `anchor`).
   */
  fromSeq?: bigint | number;
  /** Rows read per query. Default 1000. */
  batchSize?: number;
  /**
   * Signature-checked checkpoints (`readAuditCheckpoints`): each entry they name must carry their hash,
   * and the log must reach the newest, so a rewritten chain or a truncated tail is caught.
   */
  checkpoints?: readonly AuditCheckpoint[];
  /**
   * The hash of entry `seq`, trusted, for a log whose entries up to `seq` were removed by retention:
   * verification starts at `seq + 1`. Take it from the retention export (outside the database). When
   * neither this nor `fromSeq` is given, the last cut recorded in `audit_retention_cut` is used.
   */
  anchor?: { seq: bigint; hash: string };
}

export type AuditChainVerification =
  | {
      ok: true;
      entries: number;
      headHash: string;
      /** Checkpoints matched, when checkpoints were given. */
      checkpoints?: number;
      /** Where verification started, when entries before it were removed by retention. */
      fromSeq?: bigint;
    }
  | { ok: false; entries: number; firstBrokenSeq: bigint; reason: string };

interface AuditLogRow {
  seq: string;
  event_id: string;
  event_type: string;
  occurred_at: Date;
  /** The microseconds of occurred_at below the millisecond, which a Date drops: 0 in every entry the writer makes. */
  occurred_sub_ms: number;
  client_id: string | null;
  psu_id: string | null;
  consent_id: string | null;
  event: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/** Why a stored row is not the entry the chain expects, or `undefined` when it is. */
function findBreak(row: AuditLogRow, expectedSeq: bigint, expectedPrevHash: string): string | undefined {
  const seq = BigInt(row.seq);
  if (seq !== expectedSeq) return `entry ${expectedSeq} is missing (the next entry is ${seq})`;
  if (row.prev_hash !== expectedPrevHash) return `prev_hash does not match the hash of entry ${seq - 1n}`;
  const content: AuditChainContent = {
    seq,
    eventId: row.event_id,
    type: row.event_type,
    occurredAt: row.occurred_at.toISOString(),
    event: row.event,
  };
  if (computeAuditEntryHash(row.prev_hash, content) !== row.hash) return 'hash does not match the entry content';
  // The chain hashes the instant to the millisecond, as the writer stores it: a column moved by less than
  // a millisecond still hashed the same until 7 December 2026.
  if (row.occurred_sub_ms !== 0) return 'occurred_at does not match the hashed instant';
  // The lookup columns are not hashed themselves: they must repeat the hashed event, or a search by
  // consent or TPP could be steered away from an entry without breaking a hash.
  const event = row.event as Partial<AuditEvent>;
  for (const [column, stored, hashed] of [
    ['client_id', row.client_id, event.clientId],
    ['psu_id', row.psu_id, event.psuId],
    ['consent_id', row.consent_id, event.consentId],
  ] as const) {
    if ((stored ?? null) !== (hashed ?? null)) return `${column} does not match the hashed event`;
  }
  return undefined;
}

/**
 * Why the newest retention cut, as the database records it, cannot be where the log starts, or undefined.
 * Retention removes every entry before its cut (an entry left below it means the row was not written by
 * audit_log_prune); and with signed checkpoints, which live outside the database, a checkpoint of the
 * cut's own entry must carry its anchor hash, and the cut cannot lie beyond the newest checkpoint (a
 * cut is made long after its entries were signed). Without checkpoints or an export's anchor, a cut
 * written together with the removal of a whole prefix cannot be told from retention: docs/audit.md.
 */
async function refuseRetentionCut(
  dataSource: DataSource,
  table: string,
  anchor: { seq: bigint; hash: string },
  signed: ReadonlyMap<bigint, string>,
): Promise<{ firstBrokenSeq: bigint; reason: string } | undefined> {
  const cutSeq = anchor.seq + 1n;
  const [left]: { seq: string }[] = await dataSource.query(`SELECT seq FROM ${table} WHERE seq < $1 ORDER BY seq LIMIT 1`, [cutSeq.toString()]);
  if (left) {
    return { firstBrokenSeq: BigInt(left.seq), reason: `entry ${left.seq} is still in the log below the retention cut at entry ${cutSeq}, which retention would have removed` };
  }
  if (signed.size === 0) return undefined;
  const signedAnchor = signed.get(anchor.seq);
  if (signedAnchor !== undefined && signedAnchor !== anchor.hash) {
    return { firstBrokenSeq: anchor.seq, reason: `the retention cut's anchor differs from the signed checkpoint of entry ${anchor.seq}` };
  }
  const newestSigned = [...signed.keys()].reduce((max, seq) => (seq > max ? seq : max), 0n);
  if (anchor.seq > newestSigned) {
    return { firstBrokenSeq: cutSeq, reason: `the retention cut at entry ${cutSeq} lies beyond every signed checkpoint (the newest is of entry ${newestSigned})` };
  }
  return undefined;
}

/**
 * Recomputes the hash chain of `audit_log` in seq order, reading `batchSize` rows at a time (keyset
 * pagination, so memory stays flat however long the log is). Stops at the first broken entry.
 */
export async function verifyAuditChain(
  dataSource: DataSource,
  options: VerifyAuditChainOptions = {},
): Promise<AuditChainVerification> {
  const table = dataSource.getMetadata(AuditLogEntity).tableName;
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  const requestedFromSeq = BigInt(options.fromSeq ?? 1);
  if (requestedFromSeq < 1n) throw new RangeError('fromSeq must be at least 1');
  const signed = new Map<bigint, string>();
  for (const checkpoint of options.checkpoints ?? []) signed.set(checkpoint.seq, checkpoint.hash);

  let expectedPrevHash = AUDIT_GENESIS_HASH;
  let fromSeq = requestedFromSeq;
  let anchor = options.anchor;
  if (anchor === undefined && options.fromSeq === undefined) {
    // Retention removed a prefix: the first remaining entry chains onto the anchor recorded at the cut.
    const [cut]: { before_seq: string; anchor_hash: string }[] = await dataSource.query(
      `SELECT before_seq, anchor_hash FROM audit_retention_cut ORDER BY before_seq DESC LIMIT 1`,
    );
    if (cut) {
      anchor = { seq: BigInt(cut.before_seq) - 1n, hash: cut.anchor_hash };
      // The cut is read from the database it vouches for, so it is checked against what it claims.
      const refused = await refuseRetentionCut(dataSource, table, anchor, signed);
      if (refused) return { ok: false, entries: 0, ...refused };
    }
  }
  if (anchor === undefined && options.fromSeq === undefined) {
    // The chain starts at entry 1: an entry below it (the log's CHECK refuses one; the owner can drop that)
    // would be read by the searches and never by this walk (found by a probe on 7 December 2026).
    const [below]: { seq: string }[] = await dataSource.query(`SELECT seq FROM ${table} WHERE seq < 1 ORDER BY seq LIMIT 1`);
    if (below) return { ok: false, entries: 0, firstBrokenSeq: BigInt(below.seq), reason: `entry ${below.seq} lies below the chain's first entry (1)` };
  }
  if (anchor !== undefined) {
    fromSeq = anchor.seq + 1n;
    expectedPrevHash = anchor.hash;
  } else if (fromSeq > 1n) {
    const anchor: { hash: string }[] = await dataSource.query(`SELECT hash FROM ${table} WHERE seq = $1`, [
      (fromSeq - 1n).toString(),
    ]);
    if (anchor.length === 0) {
      return { ok: false, entries: 0, firstBrokenSeq: fromSeq - 1n, reason: `entry ${fromSeq - 1n} is missing` };
    }
    expectedPrevHash = anchor[0]!.hash;
  }

  let expectedSeq = fromSeq;
  let entries = 0;
  let matched = 0;
  for (;;) {
    const rows: AuditLogRow[] = await dataSource.query(
      `SELECT seq, event_id, event_type, occurred_at, (extract(microseconds FROM occurred_at)::int % 1000) AS occurred_sub_ms,
              client_id, psu_id, consent_id, event, prev_hash, hash
       FROM ${table} WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      [expectedSeq.toString(), batchSize],
    );
    for (const row of rows) {
      let reason = findBreak(row, expectedSeq, expectedPrevHash);
      const signedHash = signed.get(expectedSeq);
      if (reason === undefined && signedHash !== undefined && signedHash !== row.hash) {
        // The chain links up, so it was rewritten from here or earlier; the checkpoint outside the
        // database is what says so.
        reason = `hash differs from the signed checkpoint of entry ${expectedSeq}`;
      }
      if (reason !== undefined) return { ok: false, entries, firstBrokenSeq: expectedSeq, reason };
      if (signedHash !== undefined) matched += 1;
      expectedPrevHash = row.hash;
      expectedSeq += 1n;
      entries += 1;
    }
    if (rows.length < batchSize) break;
  }
  const newestSigned = [...signed.keys()].reduce((max, seq) => (seq > max ? seq : max), 0n);
  if (newestSigned >= expectedSeq) {
    return {
      ok: false,
      entries,
      firstBrokenSeq: expectedSeq,
      reason: `entry ${expectedSeq} is missing: a signed checkpoint shows the log reached entry ${newestSigned}`,
    };
  }
  return {
    ok: true,
    entries,
    headHash: expectedPrevHash,
    ...(options.checkpoints ? { checkpoints: matched } : {}),
    ...(anchor !== undefined ? { fromSeq } : {}),
  };
}
