import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { redactForAudit, REDACTED, redactText, scanText } from './audit-redaction.js';
import { maskAccountNumber, maskPan } from './mask.js';

describe('redactForAudit', () => {
  it('drops passwords, TOTP codes, tokens and private keys', () => {
    const out = redactForAudit({
      username: 'alice',
      password: 'hunter2',
      totpCode: '123456',
      access_token: 'abc',
      refreshToken: 'def',
      jwk: { kty: 'EC', x: 'pub', d: 'private-part' },
      headers: { authorization: 'DPoP x', dpop: 'proof' },
    });
    expect(out).toEqual({
      username: 'alice',
      password: REDACTED,
      totpCode: REDACTED,
      access_token: REDACTED,
      refreshToken: REDACTED,
      jwk: { kty: 'EC', x: 'pub', d: REDACTED },
      headers: { authorization: REDACTED, dpop: REDACTED },
    });
  });

  it('keeps only the last four digits of an account number', () => {
    expect(redactForAudit({ Identification: '40400412345678' })).toEqual({ Identification: '**********5678' });
  });

  it('masks a card number to its first six and last four digits', () => {
    expect(redactForAudit({ Identification: '4111111111111111' })).toEqual({ Identification: '411111******1111' });
  });

  it('masks JWTs and card numbers inside free text', () => {
    const out = redactForAudit({ note: 'card 4111 1111 1111 1111 token eyJhbGciOi.eyJzdWIi.sig' });
    expect(out).toEqual({ note: `card 411111******1111 token ${REDACTED}` });
  });

  it('leaves UUIDs whole even when a group is all digits', () => {
    const id = '12345678-1234-4234-8234-123456789012';
    expect(redactForAudit({ accountIds: [id], note: `consent for ${id}` })).toEqual({ accountIds: [id], note: `consent for ${id}` });
  });

  it('never lets a long digit run through, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), fc.stringMatching(/^\d{8,19}$/), fc.string(), (before, digits, after) => {
        const text = `${before} ${digits} ${after}`;
        const out = redactForAudit({ message: text }).message as string;
        expect(out.includes(digits)).toBe(false);
      }),
    );
  });

  it('skips the scan only for text the scan would leave as it is', () => {
    // Digits, separators and JWT fragments, so that near misses of every pattern come up often.
    const piece = fc.constantFrom('0', '1', '4', '9', ' ', '-', '_', 'a', 'eyJ', '.', 'x7', '12345678', '4111 1111 1111 1111');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }).map((parts) => parts.join('')), (text) => {
        expect(redactText(text)).toBe(scanText(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('masks', () => {
  it('masks a short value whole', () => expect(maskAccountNumber('123')).toBe('***'));
  it('never shows more than 6 + 4 digits of a PAN', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{13,19}$/), (pan) => {
        const masked = maskPan(pan);
        expect(masked.replace(/\*/g, '').length).toBe(10);
        expect(masked.length).toBe(pan.length);
      }),
    );
  });
});
