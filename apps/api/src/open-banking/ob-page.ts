import { InvalidCursorError, isCursorKey } from '@consentry/banking';

/** A record's place in a keyset-paged list: its account, then its own id. */
export interface PageKey {
  accountId: string;
  id: string;
}

/**
 * Where a cursor points: after a key (forwards, as Links.Next), before a key (backwards, as Links.Prev),
 * or at the final page (Links.Last), which is worked out when it is read.
 */
type PageCursor = { kind: 'after' | 'before'; key: PageKey } | { kind: 'last' };

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
    if (Array.isArray(parsed) && parsed.every((part) => isCursorKey(part))) {
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
