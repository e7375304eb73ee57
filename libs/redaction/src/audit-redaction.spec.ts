import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { redactForAudit, REDACTED, redactText, scanText } from './audit-redaction.js';
import { asciiDigits, ibanChecks, isLuhnValid, maskAccountNumber, maskPan } from './mask.js';

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
    const piece = fc.constantFrom(
      ...['0', '1', '4', '9', '\uFF14', '\u0664', '\u{1D7D2}', ' ', '-', '_', '.', '/', '\u00A0', '\u2013', '\u200B', ','],
      ...['a', 'eyJ', 'x7', '12345678', '4111 1111 1111 1111', '4111\u00A01111.1111/1111'],
    );
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

describe('redactText: IBANs', () => {
  it('checks an IBAN as ISO 13616 does', () => {
    expect(ibanChecks('GB29NWBK60161331926819')).toBe(true);
    expect(ibanChecks('DE89370400440532013000')).toBe(true);
    expect(ibanChecks('DE89370400440532013001')).toBe(false);
  });

  // Printed in groups of four or in one piece (until 7 December 2026 every one of these was passed whole:
  // no group of eight digits, no card's Luhn sum, and in one piece digits touching letters).
  it.each([
    ['pay to GB29 NWBK 6016 1331 9268 19 today', 'pay to ******************6819 today'],
    ['IBAN: NL91 ABNA 0417 1643 00.', 'IBAN: **************4300.'],
    ['NL91ABNA0417164300', '**************4300'],
    ['DE89 3704 0044 0532 0130 00', '******************3000'],
    ['(FR14 2004 1010 0505 0001 3M02 606)', '(***********************2606)'],
    ['FR1420041010050500013M02606', '***********************2606'],
    ['iban gb29 nwbk 6016 1331 9268 19', 'iban ******************6819'],
    ['GB29-NWBK-6016-1331-9268-19 and 4111 1111 1111 1111', '******************6819 and 411111******1111'],
    ['NO93 8601 1117 947', '***********7947'],
  ])('masks the IBAN in %s to its last four characters', (text, masked) => {
    expect(redactText(text)).toBe(masked);
    expect(redactForAudit({ note: text })).toEqual({ note: masked });
  });

  it.each([
    // Check digits wrong: not an IBAN (and no card or account number either).
    'GB28 NWBK 6016 1331 9268 19',
    // No such country; too short for its country.
    'XX29 NWBK 6016 1331 9268 19',
    'GB29 NWBK 6016',
    'order AB12 CDEF GHIJ KLMN shipped',
  ])('leaves %s as it is', (text) => {
    expect(redactText(text)).toBe(text);
  });

  it('keeps a UUID whole though its last group and the text after it would spell a valid IBAN', () => {
    const id = '0190f3a1-7c2e-4abc-8def-de8937040044';
    expect(redactText(`payment ${id} 0532 0130 00`)).toContain(id);
    expect(redactText(`vrp-${id}-0532013000`)).toContain(id);
  });

  it('masks any IBAN of any country, in groups of four joined by any separator, wherever it stands in text', () => {
    const countries = [['GB', 22], ['DE', 22], ['FR', 27], ['NL', 18], ['NO', 15], ['MT', 31], ['RU', 33], ['LC', 32], ['BE', 16]] as const;
    const alphanumeric = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
    const iban = fc
      .constantFrom(...countries)
      .chain(([country, length]) => fc.tuple(fc.constant(country), fc.array(alphanumeric, { minLength: length - 4, maxLength: length - 4 })))
      .map(([country, bban]) => {
        const unchecked = `${country}00${bban.join('')}`;
        // The check digits that make it valid: 98 - (the number with 00 as check digits) mod 97.
        const digits = `${unchecked.slice(4)}${country}00`.replace(/[A-Z]/g, (letter) => String(letter.charCodeAt(0) - 55));
        let remainder = 0;
        for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97;
        return `${country}${String(98 - remainder).padStart(2, '0')}${unchecked.slice(4)}`;
      });
    const separator = fc.constantFrom('', ' ', '\u00A0', '-', '.', '  ', '\u200B');
    const around = fc.constantFrom('', ' ', 'to ', '(', 'IBAN:', '"');
    fc.assert(
      fc.property(iban, separator, around, fc.boolean(), (compact, joint, before, lower) => {
        expect(ibanChecks(compact)).toBe(true);
        const written = (compact.match(/.{1,4}/g) ?? []).join(joint);
        const text = `${before}${lower ? written.toLowerCase() : written} end`;
        const masked = redactText(text);
        expect(masked).toBe(`${before}${'*'.repeat(compact.length - 4)}${(lower ? compact.toLowerCase() : compact).slice(-4).toUpperCase()} end`);
      }),
      { numRuns: 300 },
    );
  });
});

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
    // An IBAN in one piece: masked whole as an IBAN (until 7 December 2026 only its 14 digits, as an account number).
    ['GB82WEST12345698765432', '******************5432'],
    ['Ref41111111111111110000', 'Ref****************0000'],
    ['card 4111  1111  1111  1111', 'card 411111******1111'],
    ['card 4111 - 1111 - 1111 - 1111.', 'card 411111******1111.'],
    ['to 40-40-04 / 12345678', 'to **********5678'],
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

  it('scans 1 MiB of text built against its patterns in time linear in its length', () => {
    const adversarial = [
      '1 ',
      '1-',
      '1\u00A0',
      '\uFF11\u202F',
      '\u{1D7CF}\u200B',
      '\u0661.',
      '1 .',
      '4111-',
      '4111 1111 1111 111/',
      '0',
      '\uFF10',
      'a1',
      '1234567 ',
      '12345678-1234-1234-1234-',
      'deadbeef-',
      'eyJ-',
      'eyJa.',
      'eyJa.b-',
      // An IBAN's start (its country's length read from each one) and its groups: not quadratic either.
      'RU12   ',
      'lc55 ',
      'GB29 NWBK ',
      // UUIDs whose last group starts like an IBAN, many of them: each IBAN start asks where the UUIDs are.
      '0190f3a1-7c2e-4abc-8def-de8937040044 ',
    ];
    // Each pattern repeated to its share of `size`, one to a line (a line break joins no number).
    const text = (size: number): string => adversarial.map((pattern) => pattern.repeat(Math.ceil(size / adversarial.length / pattern.length))).join('\n');
    const fastest = (scan: () => void): number => {
      let best = Infinity;
      for (let run = 0; run < 2; run++) {
        const started = performance.now();
        scan();
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    const small = text(2 ** 16);
    const large = text(2 ** 20);
    expect(large.length).toBeGreaterThanOrEqual(2 ** 20);
    const sixteenSmall = fastest(() => {
      for (let i = 0; i < 16; i++) redactText(small);
    });
    const oneLarge = fastest(() => redactText(large));
    // The same amount of text in one piece or in sixteen: linear work takes about as long either way (1 to
    // 1.3 times here), a quadratic pattern sixteen times as long on its lines (the JWT pattern this replaced
    // took seconds on 100 KB; put back, it makes this 5 times). Three times, over a floor of 10 ms, leaves
    // room for a busy machine.
    expect(oneLarge).toBeLessThan(3 * Math.max(sixteenSmall, 10));
  });
});

// What a number's groups may be written apart with (`4111 1111…` with U+00A0 no-break spaces, U+202F
// narrow ones, en dashes, dots, slashes, zero-width spaces…), as people and programs write card numbers.
const SEPARATORS = [
  ...[' ', '\u00A0', '\u202F', '\u2009', '\u2007', '\u3000'],
  ...['-', '\u2010', '\u2011', '\u2013', '\u2014', '\u2212', '\uFF0D'],
  ...['.', '/', '_', '\uFF0E', '\uFF0F', '\u00B7'],
  ...['\u200B', '\u00AD', '\u2060', '\uFEFF', '\u200E'],
];
const SEPARATOR_CHARACTERS = new RegExp(`[${SEPARATORS.map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join('')}]`, 'gu');
// The zero of each script's digits: ASCII, full-width, Arabic-Indic, Persian, Devanagari, Bengali, Thai,
// mathematical bold and monospace (two UTF-16 units each).
const DIGIT_ZEROS = [0x30, 0xff10, 0x660, 0x6f0, 0x966, 0x9e6, 0xe50, 0x1d7ce, 0x1d7f6];

function inScript(digits: string, zero: number): string {
  return Array.from(digits, (d) => String.fromCodePoint(zero + Number(d))).join('');
}

/** The text with separators taken out and digits of any script in ASCII: each digit of the input is one character, `*` when masked. */
function digitsAndMasks(text: string): string {
  return text.replace(SEPARATOR_CHARACTERS, '').replace(/\p{Nd}/gu, (digit) => asciiDigits(digit));
}

/**
 * The free-text scan as it was before it read separators and digits of every kind (single spaces and
 * hyphens, ASCII digits), the oracle of the differential test below.
 */
function scanTextWithSpacesAndHyphens(text: string): string {
  const uuid = '(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])';
  const numberAt = (groups: string[], starts: number[], digits: string, run: string, first: number): { masked: string; last: number } | undefined => {
    let found: { masked: string; last: number } | undefined;
    for (let last = first; last < groups.length; last++) {
      const end = starts[last]! + groups[last]!.length;
      const number = digits.slice(starts[first]! - first, end - last);
      if (number.length > 19) break;
      if (number.length >= 13 && isLuhnValid(number)) found = { masked: maskPan(number), last };
      else if (found === undefined && number.length === 14 && /^\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{8}$/.test(run.slice(starts[first], end))) found = { masked: maskAccountNumber(number), last };
    }
    return found;
  };
  const maskRun = (run: string, before: string, after: string): string => {
    if (run.length < 8) return run;
    const groups = run.split(/[ -]/);
    const starts: number[] = [];
    let at = 0;
    for (const group of groups) {
      starts.push(at);
      at += group.length + 1;
    }
    const digits = groups.join('');
    const out: string[] = [];
    for (let g = 0; g < groups.length; g++) {
      if (g > 0) out.push(run.charAt(starts[g]! - 1));
      const number = numberAt(groups, starts, digits, run, g);
      if (number) {
        out.push(number.masked);
        g = number.last;
        continue;
      }
      const group = groups[g]!;
      const alone = !/[\w-]/.test(g === 0 ? before : run.charAt(starts[g]! - 1)) && !/[\w-]/.test(g === groups.length - 1 ? after : run.charAt(starts[g]! + group.length));
      out.push(group.length > 19 || (group.length >= 8 && alone) ? maskAccountNumber(group) : group);
    }
    return out.join('');
  };
  return text.replace(new RegExp(`(${uuid})|\\d+(?:[ -](?!${uuid})\\d+)*`, 'gi'), (run: string, id: string | undefined, offset: number, whole: string) =>
    id === undefined ? maskRun(run, whole.charAt(offset - 1), whole.charAt(offset + run.length)) : run,
  );
}

describe('redactText: numbers written with any separator and in any digits', () => {
  it.each([
    ['4111\u00A01111\u00A01111\u00A01111', '411111******1111'],
    ['4111\u202F1111\u202F1111\u202F1111', '411111******1111'],
    ['4111\u20091111\u20091111\u20091111', '411111******1111'],
    ['4111\u30001111\u30001111\u30001111', '411111******1111'],
    ['4111\u20131111\u20131111\u20131111', '411111******1111'],
    ['4111\u22121111\u22121111\u22121111', '411111******1111'],
    ['4111.1111.1111.1111', '411111******1111'],
    ['4111/1111/1111/1111', '411111******1111'],
    ['4111_1111_1111_1111', '411111******1111'],
    ['4111\u200B1111\u200B1111\u200B1111', '411111******1111'],
    ['4111\u00AD1111\u00AD1111\u00AD1111', '411111******1111'],
    ['Card: \uFF14\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11.', 'Card: 411111******1111.'],
    ['\u0664\u0661\u0661\u0661-\u0661\u0661\u0661\u0661-\u0661\u0661\u0661\u0661-\u0661\u0661\u0661\u0661', '411111******1111'],
    ['Acct 40.40.04 12345678', 'Acct **********5678'],
    ['Acct 40\u00A040\u00A004\u00A012345678', 'Acct **********5678'],
    ['to \uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17\uFF18', 'to ****5678'],
    // Two Luhn-valid numbers sharing groups (3 3258 3704 9137 and 3258 3704 9137 6): masked as one, so that
    // neither shows a middle digit (the scan before masked the first and showed the second's `9137 6`).
    ['3 3258 3704 9137 6', '332583****1376'],
    // Read whole, the run is a card from its leading `1` (first six `112345`); parted at the double space,
    // `123456783` stands alone, an account number that shows its last four only: no digit either hides shows.
    ['1  123456783 3258 3704 9137 6', '1******************1376'],
  ])('masks %j', (text, masked) => {
    expect(redactText(text)).toBe(masked);
  });

  it.each([
    'on 24.11.2025 at 10.20',
    '24/11/2025 10:20',
    '2025/11/24',
    'v1.2.3 from 192.168.100.200',
    '1.000.000 EUR',
    '1.234.567,89 EUR',
    '12.345.678,90 EUR',
    '1\u202F234\u202F567,89 €',
    'paid 1,500.00 GBP',
    'file_2024_11_24.csv',
    'REF_20251124',
    '\u0661\u0662\u0663\u0664\u0665\u0666\u0667',
    '\uFF12\uFF10\uFF12\uFF15\u5E74\uFF11\uFF11\u6708\uFF12\uFF14\u65E5',
    'call 0161\u00A0496\u00A00000',
    'Bob’s Bikes',
  ])('leaves %j as it is', (text) => {
    expect(redactText(text)).toBe(text);
  });

  it('masks a card number under an account-number key whatever its digits', () => {
    expect(redactForAudit({ Identification: inScript('4111111111111111', 0xff10) })).toEqual({ Identification: '411111******1111' });
  });

  it('never shows the middle digits of a card number, whatever separates its groups, whatever its digits and whatever numbers it is written among', () => {
    // Letters and punctuation that are neither digits, separators nor hex digits (no UUID can form).
    const words = fc.stringMatching(/^[g-z:;,()#"=]{0,12}$/);
    const group = fc.stringMatching(/^\d{1,7}$/);
    const anySeparator = fc.constantFrom(...SEPARATORS);
    const card = fc.stringMatching(/^\d{12,18}$/).map(withLuhnCheckDigit);
    // Between the card's own groups, none, or one to three separators in a row.
    const cardSeparators = fc.array(fc.oneof(fc.array(anySeparator, { minLength: 1, maxLength: 3 }).map((run) => run.join('')), fc.constant('')), { minLength: 1, maxLength: 4 });
    const groups = fc.array(group, { maxLength: 3 });
    fc.assert(
      fc.property(
        words,
        groups,
        card,
        cardSeparators,
        groups,
        anySeparator,
        fc.constantFrom(...DIGIT_ZEROS),
        words,
        (before, leading, pan, panSeparators, trailing, separator, zero, after) => {
          const panGroups = pan.match(/\d{1,4}/g)!;
          const written = panGroups.map((g, i) => (i === 0 ? '' : panSeparators[i % panSeparators.length]) + inScript(g, zero)).join('');
          const around = (groups: string[]) => groups.map((g) => inScript(g, zero));
          const text = `${before}${[...around(leading), written, ...around(trailing)].join(separator)}${after}`;
          const shown = digitsAndMasks(redactText(text)).match(/[0-9*]+/g) ?? [];
          const at = leading.join('').length;
          expect(shown).toHaveLength(1);
          expect(shown[0]!.length).toBe(at + pan.length + trailing.join('').length);
          expect(shown[0]!.slice(at + 6, at + pan.length - 4)).toBe('*'.repeat(pan.length - 10));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('masks at least what the scan with spaces and hyphens alone masked, and as it did where it masks the same', () => {
    // ASCII digits, spaces and hyphens and near misses of every number, the alphabet of the scan before;
    // `3 3258 3704 9137 6` holds two Luhn-valid numbers that share groups, which it masked one of.
    const piece = fc.constantFrom(
      '0', '1', '4', '9', ' ', '-', 'a', 'x', ',', ':', '12', '1234', '12345678', '4111 1111 1111 1111', '4111111111111111', '40-40-04',
      '3 3258 3704 9137 6', '12345678-1234-4234-8234-123456789012',
    );
    // Each digit of the text is one character of this, `*` where masked: a card number's mask drops its separators.
    const digitsOf = (text: string) => text.replace(/[ -]/g, '');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }).map((parts) => parts.join('')), (text) => {
        const before = scanTextWithSpacesAndHyphens(text);
        const now = scanText(text);
        const [was, is] = [digitsOf(before), digitsOf(now)];
        expect(is.length).toBe(was.length);
        expect([...is].every((c, i) => c === was[i] || c === '*')).toBe(true);
        if (is === was) expect(now).toBe(before);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the digits of every script Intl writes numbers in', () => {
    const checked: string[] = [];
    for (const system of Intl.supportedValuesOf('numberingSystem')) {
      const format = new Intl.NumberFormat('en', { numberingSystem: system, useGrouping: false });
      const digits = Array.from({ length: 10 }, (_, d) => format.format(d));
      if (!digits.every((digit) => /^\p{Nd}$/u.test(digit))) continue;
      expect(asciiDigits(digits.join(''))).toBe('0123456789');
      checked.push(system);
    }
    expect(checked).toEqual(expect.arrayContaining(['arab', 'arabext', 'deva', 'fullwide', 'mathbold', 'thai']));
  });
});

describe('masks', () => {
  it('masks a short value whole', () => expect(maskAccountNumber('123')).toBe('***'));
  it('checks the Luhn digit as the card schemes do', () => {
    expect(['79927398713', '4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '0'].map(isLuhnValid)).toEqual([true, true, true, true, true, true]);
    expect(['79927398710', '4111111111111112', '378282246310006', '', '4111 1111'].map(isLuhnValid)).toEqual([false, false, false, false, false]);
  });
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

// Found by a probe on 7 December 2026, after the separators were widened that night.
describe('audit redaction: amounts, characters rendered as nothing, and whole characters', () => {
  it.each(['10000000.00', '12345678.90', '9999999999999.99999', '0000000000001', '250000000'])(
    'keeps an OB amount (%s) under an amount’s name as it is: a scan as free text masked ten million and more as an account number',
    (amount) => {
      expect(redactForAudit({ kind: 'domestic-payment', amount, currency: 'GBP' })).toEqual({ kind: 'domestic-payment', amount, currency: 'GBP' });
      expect(redactForAudit({ InstructedAmount: { Amount: amount, Currency: 'GBP' } })).toEqual({ InstructedAmount: { Amount: amount, Currency: 'GBP' } });
    },
  );

  it('still scans an amount’s field that holds anything but an amount', () => {
    expect(redactForAudit({ amount: 'card 4111 1111 1111 1111' })).toEqual({ amount: 'card 411111******1111' });
  });

  it.each([
    ['U+FE0F variation selector', '\uFE0F'],
    ['U+034F combining grapheme joiner', '\u034F'],
    ['U+3164 Hangul filler', '\u3164'],
    ['U+115F Hangul choseong filler', '\u115F'],
    ['U+2800 Braille pattern blank', '\u2800'],
    ['a plus (a form-encoded space)', '+'],
  ])('masks a card number whose groups are split by %s', (_name, separator) => {
    const out = redactText(`card ${['4111', '1111', '1111', '1111'].join(separator)} please`);
    expect(out).toBe('card 411111******1111 please');
  });

  it('never cuts a surrogate pair in half (jsonb cannot store half of one)', () => {
    const wellFormed = (text: string): boolean => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
    expect(maskAccountNumber('ACCT\u{1D7D5}x\u{1D7D6}')).toBe('***T\u{1D7D5}x\u{1D7D6}');
    expect(wellFormed(maskAccountNumber('ACCT\u{1D7D5}x\u{1D7D6}'))).toBe(true);
    expect(wellFormed(String(redactForAudit({ Identification: 'GB\u{1D7D5}x\u{1D7D6}' }).Identification))).toBe(true);
  });
});
