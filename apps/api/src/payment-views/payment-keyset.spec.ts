import { describe, expect, it } from 'vitest';

import { decodeListingCursor, encodeListingCursor, keysetPage, olderThan } from './payment-keyset.js';
import { PaymentViewException } from './payment-view.exception.js';

describe('payment listing keyset', () => {
  it('round-trips a key through its cursor', () => {
    const key = { atMicros: '1764900000123456', id: 'vrp-0b6e7c4e-5f5d-4a4e-9a57-2b1f8f6c9d10' };
    expect(decodeListingCursor(encodeListingCursor(key))).toEqual(key);
  });

  it('refuses a cursor it did not issue', () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of ['', 'not-base64-json', forged(['1.5', 'dp-1']), forged(['1', "dp-1' OR 1=1"]), forged(['1']), forged({ at: '1', id: 'x' })]) {
      expect(() => decodeListingCursor(cursor), cursor).toThrow(PaymentViewException);
    }
  });

  it('compares in SQL with the key as parameters, never in the text', () => {
    const params: unknown[] = ['psu'];
    const sql = olderThan('p', 'payment_id', { atMicros: '42', id: 'dp-1' }, params);
    expect(sql).toBe(`(p.creation_date_time, p.payment_id) < (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::text)`);
    expect(params).toEqual(['psu', '42', 'dp-1']);
  });

  it('gives the next cursor only when the extra row was found', () => {
    const rows = [1, 2, 3].map((n) => ({ listing_at: String(n), id: `dp-${n}` }));
    expect(keysetPage(rows.slice(0, 2), 2, (r) => r.id).next).toBeNull();
    const page = keysetPage(rows, 2, (r) => r.id);
    expect(page.rows).toHaveLength(2);
    expect(decodeListingCursor(page.next!)).toEqual({ atMicros: '2', id: 'dp-2' });
  });
});
