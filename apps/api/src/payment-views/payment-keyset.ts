import { PaymentViewException, PaymentViewExceptionCode } from './payment-view.exception.js';

/**
 * Keyset paging of the people's payment listings, newest first: a page continues strictly after the
 * last row of the one before, by (creation instant, id), so rows written meanwhile never shift or repeat
 * a page and a page costs the same however deep it is. The instant travels as epoch microseconds in
 * text, read and compared in SQL: a JavaScript Date would drop the microseconds PostgreSQL keeps, and
 * two rows in the same millisecond could then be skipped.
 */
export interface ListingKey {
  /** Epoch microseconds of creation_date_time, as PostgreSQL computes them. */
  atMicros: string;
  id: string;
}

/** The select-list item giving a row's `listing_at` (epoch microseconds), for `alias.creation_date_time`. */
export function listingAtColumn(alias: string): string {
  return `(extract(epoch FROM ${alias}.creation_date_time) * 1000000)::bigint::text AS listing_at`;
}

/**
 * The condition "older than the key" over `alias` (creation_date_time, idColumn), with the key's two
 * parameters appended to `params`. Matches the (creation_date_time DESC, id DESC) indexes.
 */
export function olderThan(alias: string, idColumn: string, key: ListingKey, params: unknown[]): string {
  params.push(key.atMicros, key.id);
  const at = `$${params.length - 1}`;
  const id = `$${params.length}`;
  return `(${alias}.creation_date_time, ${alias}.${idColumn}) < (timestamptz 'epoch' + ${at}::bigint * interval '1 microsecond', ${id}::text)`;
}

const MICROS = /^\d{1,17}$/;
const ID = /^[A-Za-z0-9-]{1,80}$/;

export function encodeListingCursor(key: ListingKey): string {
  return Buffer.from(JSON.stringify([key.atMicros, key.id])).toString('base64url');
}

/** The key a cursor stands for; anything this API did not issue is refused, never guessed at. */
export function decodeListingCursor(cursor: string): ListingKey {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string' && MICROS.test(parsed[0]) && ID.test(parsed[1])) {
      return { atMicros: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw new PaymentViewException(PaymentViewExceptionCode.InvalidCursor, 'The page cursor is not valid');
}

/** What a page query ran with `limit + 1` gives: the page, and the cursor of the next one if there is more. */
export function keysetPage<R extends { listing_at: string }>(rows: R[], limit: number, idOf: (row: R) => string): { rows: R[]; next: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > limit && last ? encodeListingCursor({ atMicros: last.listing_at, id: idOf(last) }) : null };
}
