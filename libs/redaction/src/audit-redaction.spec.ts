import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { redactForAudit, REDACTED, redactText, scanText } from './audit-redaction.js';
import { isLuhnValid, maskAccountNumber, maskPan } from './mask.js';

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

// `body` followed by the one digit that makes it pass the Luhn check: a card number.
function withLuhnCheckDigit(body: string): string {
  for (let check = 0; check <= 9; check++) {
    if (isLuhnValid(`${body}${check}`)) return `${body}${check}`;
  }
  throw new Error('unreachable: one check digit always fits');
}

// Text around a number that does not extend it: no digit on the side that touches it.
const notEndingInADigit = fc.string().filter((text) => !/\d$/.test(text));
const notStartingWithADigit = fc.string().filter((text) => !/^\d/.test(text));
// What a TPP or a log line may glue to a number: nothing but a space, a letter, `_`, `-`, other punctuation.
const glue = fc.constantFrom(' ', '', 'x', 'Card', 'Acct_', '-', '_', '(', ')', '/', '.', ':', '#', '=', '"');

describe('redactText', () => {
  it.each([
    ['Card-4111111111111111', 'Card-411111******1111'],
    ['Card4111111111111111', 'Card411111******1111'],
    ['4111111111111111x', '411111******1111x'],
    ['Acct 40-40-04-12345678', 'Acct **********5678'],
    ['Acct_40400412345678', 'Acct_**********5678'],
  ])('masks the number in the payee name %s', (name, masked) => {
    expect(redactText(name)).toBe(masked);
    expect(redactForAudit({ payee: { Name: name } })).toEqual({ payee: { Name: masked } });
  });

  it.each([
    ['(4111-1111-1111-1111)', '(411111******1111)'],
    ['card 4111 1111 1111 1111 123', 'card 411111******1111 123'],
    ['ref 12 4111 1111 1111 1111', 'ref 12 411111******1111'],
    ['to 40 40 04 12345678', 'to **********5678'],
    ['GB82WEST12345698765432', 'GB82WEST**********5432'],
    ['Ref41111111111111110000', 'Ref****************0000'],
  ])('masks a card or account number among other digits or inside a word: %s', (text, masked) => {
    expect(redactText(text)).toBe(masked);
  });

  it.each([
    '12345678-1234-4234-8234-123456789012',
    'vrp-12345678-1234-4234-8234-123456789012',
    'pmc-0190F3A1-7C2E-7ABC-8DEF-123456789012 was revoked',
    'payment 5 12345678-1234-4234-8234-123456789012',
    'batch-0190f3a1-7c2e-7abc-8def-123456789012-0190f3a1-7c2e-7abc-8def-123456789013-a1b2c3d4e5f60718',
    'at 2025-11-24T10:20:30.123Z',
    '2025-11-24 10:20:30.123456+00:00',
    'from 2025-11-24 to 2025-12-24',
    'run 20251124T102030Z',
    'paid 1,500.00 GBP',
    'balance 12,345,678.90',
    '-1500.00',
    'INV-2024-000123',
    'REF_20251124',
    'ref 1234567',
    'Order #123456, sort code 40-40-04',
    'call 0161 496 0000',
  ])('leaves %s as it is', (text) => {
    expect(redactText(text)).toBe(text);
  });

  it('leaves the ids, times and amounts of an audit payload whole and masks the payee', () => {
    const data = {
      paymentId: 'vrp-12345678-1234-4234-8234-123456789012',
      consentId: 'pmc-0190f3a1-7c2e-7abc-8def-123456789012',
      accountIds: ['22289', '12345678-1234-4234-8234-123456789012'],
      at: '2025-11-24T10:20:30.123Z',
      amount: '1500.00',
      currency: 'GBP',
      reference: 'INV-2024-000123',
      payee: 'Card-4111111111111111',
    };
    expect(redactForAudit(data)).toEqual({ ...data, payee: 'Card-411111******1111' });
  });

  it('never lets a card number through, whatever is glued to it', () => {
    const card = fc.stringMatching(/^\d{12,18}$/).map(withLuhnCheckDigit);
    const separated = fc.constantFrom('', ' ', '-');
    fc.assert(
      fc.property(notEndingInADigit, glue, card, separated, glue, notStartingWithADigit, (before, left, pan, separator, right, after) => {
        const written = pan.match(/\d{1,4}/g)!.join(separator);
        const out = redactText(`${before}${left}${written}${right}${after}`);
        expect(out.replace(/[ -]/g, '').includes(pan)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('never lets a sort code and account number through, whatever is glued to it', () => {
    const separated = fc.constantFrom(['', ''], [' ', ' '], ['-', '-'], ['-', ' '], ['', ' ']);
    fc.assert(
      fc.property(notEndingInADigit, glue, fc.stringMatching(/^\d{6}$/), fc.stringMatching(/^\d{8}$/), separated, glue, notStartingWithADigit,
        (before, left, sortCode, account, [inSortCode, beforeAccount], right, after) => {
          const written = `${sortCode.match(/\d\d/g)!.join(inSortCode)}${beforeAccount}${account}`;
          const out = redactText(`${before}${left}${written}${right}${after}`);
          expect(out.includes(account)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps a UUID whole, whatever is around it', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(' ', 'vrp-', 'pmc-', '"', '/'), fc.uuid(), fc.constantFrom(' ', '"', '/', ','), fc.string(), (before, left, id, right, after) => {
        expect(redactText(`${before}${left}${id}${right}${after}`).includes(`${left}${id}${right}`)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('scans 100 KB of text built against each pattern in linear time', () => {
    const adversarial = [
      '1 '.repeat(50_000),
      '1-'.repeat(50_000),
      '4111-'.repeat(20_000),
      '0'.repeat(100_000),
      'a1'.repeat(50_000),
      '12345678-1234-1234-1234-'.repeat(4_200),
      'deadbeef-'.repeat(11_000),
      'eyJ-'.repeat(25_000),
      'eyJa.'.repeat(20_000),
      'eyJa.b-'.repeat(14_000),
    ];
    for (const text of adversarial) {
      const started = performance.now();
      redactText(text);
      // Linear is tens of milliseconds here; the quadratic JWT pattern this replaced took seconds.
      expect(performance.now() - started).toBeLessThan(500);
    }
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
