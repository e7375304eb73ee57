import { InvalidCursorError } from '@consentry/banking';

/** A record's place in a keyset-paged list: its account, then its own id. */
export interface PageKey {
  accountId: string;
  id: string;
}

export interface Page<T> {
  items: T[];
  /** Cursor of the next page, when there is one. */
  next: string | null;
  /** Cursor of the previous page, when there is one (absent on the first page). */
  prev: string | null;
  /** Cursor of the final page, when the list spans more than one page. */
  last: string | null;
  totalPages: number;
}

/**
 * Where a cursor points: after a key (forwards, as Links.Next), before a key (backwards, as Links.Prev),
 * or at the final page (Links.Last), which is worked out when it is read.
 */
type PageCursor = { kind: 'after' | 'before'; key: PageKey } | { kind: 'last' };

function compare(a: PageKey, b: PageKey): number {
  if (a.accountId !== b.accountId) return a.accountId < b.accountId ? -1 : 1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

function encode(value: unknown[]): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The cursor of the page that starts right after `key`. */
export function encodePageKey(key: PageKey): string {
  return encode([key.accountId, key.id]);
}

/** The cursor of the page that ends right before `key`. */
export function encodePrevPageKey(key: PageKey): string {
  return encode(['<', key.accountId, key.id]);
}

export const LAST_PAGE_CURSOR = encode(['>|']);

/** A Links cursor read back: after a key, before a key, or the final page; anything else is InvalidCursorError. */
export function decodePageCursor(cursor: string): PageCursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.every((part) => typeof part === 'string')) {
      // Two parts is the forward cursor (the only kind issued before Prev and Last existed).
      if (parsed.length === 2) return { kind: 'after', key: { accountId: parsed[0], id: parsed[1] } };
      if (parsed.length === 3 && parsed[0] === '<') return { kind: 'before', key: { accountId: parsed[1], id: parsed[2] } };
      if (parsed.length === 1 && parsed[0] === '>|') return { kind: 'last' };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError('unrecognised page cursor');
}

/** The key a forward cursor starts after (kept for callers that only page forwards). */
export function decodePageKey(cursor: string): PageKey {
  const decoded = decodePageCursor(cursor);
  if (decoded.kind !== 'after') throw new InvalidCursorError('unrecognised page cursor');
  return decoded.key;
}

/**
 * Keyset paging of a list read whole from the banks: a page starts after the last key of the previous
 * one (or ends before the first key of the next one), not at an offset, so records inserted meanwhile
 * never shift or repeat what the TPP already saw, in either direction. The last page holds what is left
 * over after whole pages from the start, so Links.Last is the page Links.Next would end on.
 */
export function pageByKey<T>(items: readonly T[], keyOf: (item: T) => PageKey, pageSize: number, cursor?: string): Page<T> {
  const keyed = items.map((item) => ({ item, key: keyOf(item) }));
  keyed.sort((a, b) => compare(a.key, b.key));
  const at = cursor ? decodePageCursor(cursor) : null;
  const total = keyed.length;
  let start: number;
  let end: number;
  if (!at) {
    start = 0;
    end = Math.min(pageSize, total);
  } else if (at.kind === 'after') {
    const found = keyed.findIndex((entry) => compare(entry.key, at.key) > 0);
    start = found < 0 ? total : found;
    end = Math.min(start + pageSize, total);
  } else if (at.kind === 'before') {
    const found = keyed.findIndex((entry) => compare(entry.key, at.key) >= 0);
    end = found < 0 ? total : found;
    start = Math.max(0, end - pageSize);
  } else {
    end = total;
    start = total === 0 ? 0 : Math.floor((total - 1) / pageSize) * pageSize;
  }
  const page = keyed.slice(start, end);
  const firstKey = page[0]?.key;
  const lastKey = page[page.length - 1]?.key;
  const totalPages = Math.ceil(total / pageSize);
  return {
    items: page.map((entry) => entry.item),
    next: end < total && lastKey ? encodePageKey(lastKey) : null,
    prev: start > 0 && firstKey ? encodePrevPageKey(firstKey) : null,
    last: totalPages > 1 ? LAST_PAGE_CURSOR : null,
    totalPages,
  };
}
