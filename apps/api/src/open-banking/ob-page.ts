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
  totalPages: number;
}

function compare(a: PageKey, b: PageKey): number {
  if (a.accountId !== b.accountId) return a.accountId < b.accountId ? -1 : 1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

export function encodePageKey(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.accountId, key.id])).toString('base64url');
}

export function decodePageKey(cursor: string): PageKey {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      return { accountId: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError('unrecognised page cursor');
}

/**
 * Keyset paging of a list read whole from the banks: a page starts after the last key of the previous
 * one, not at an offset, so records inserted meanwhile never shift or repeat what the TPP already saw.
 */
export function pageByKey<T>(items: readonly T[], keyOf: (item: T) => PageKey, pageSize: number, after?: string): Page<T> {
  const sorted = [...items].sort((a, b) => compare(keyOf(a), keyOf(b)));
  const from = after ? decodePageKey(after) : null;
  const start = from ? sorted.findIndex((item) => compare(keyOf(item), from) > 0) : 0;
  const remaining = start < 0 ? [] : sorted.slice(start);
  const pageItems = remaining.slice(0, pageSize);
  const last = pageItems[pageItems.length - 1];
  return {
    items: pageItems,
    next: remaining.length > pageSize && last !== undefined ? encodePageKey(keyOf(last)) : null,
    totalPages: Math.ceil(sorted.length / pageSize),
  };
}
