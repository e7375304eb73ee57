import { asciiDigits, ibanChecks, isLuhnValid, LuhnCheck, maskAccountNumber, maskPan } from './mask.js';

export const REDACTED = '[REDACTED]';

// Keys whose values are secrets: dropped whole, whatever their shape.
const SECRET_KEY =
  /pass(word|phrase)?|secret|token|otp|totp|one_?time|code_?verifier|assertion|private|authorization|cookie|credential|signature|^code$|^d$|^p$|^q$|^dp$|^dq$|^qi$|^k$|dpop|session|pin$/i;
// Keys whose values are account or card numbers: masked to the last four (PAN: first six, last four).
const ACCOUNT_NUMBER_KEY = /identification|account_?number|iban|^pan$|card_?number|sort_?code/i;
// An amount as OB writes one (Max13, up to 5 decimals) under an amount's name: the figure an audit trail is
// for, kept as it is (a scan of it as free text masked ten million and more as an account number).
const AMOUNT_KEY = /amount$/i;
const OB_AMOUNT = /^\d{1,13}(?:\.\d{1,5})?$/;
// A UUID standing alone (not glued to more hex digits): our ids (`vrp-<uuid>`, event ids) stay whole even
// when a group is all digits. Its groups hold at most 12 digits, never a whole card number (13 to 19) or
// sort code and account number (14).
const UUID = '(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])';
// A decimal digit of any script: ASCII, full-width (U+FF10-FF19), Arabic-Indic, Devanagari… (asciiDigits
// reads them all).
const DIGIT = '\\p{Nd}';
// What may stand between two digit groups of one number, one character of it: a space of any kind
// (\p{Zs}: U+00A0 no-break, U+202F narrow no-break, U+2009 thin, U+3000 ideographic…), a hyphen or dash of
// any kind (\p{Pd}, U+2212 minus), a dot, a slash or an underscore (with their full-width forms, U+00B7
// middle dot, U+2024 one dot leader, U+2044 fraction and U+2215 division slash), or an invisible format
// character (\p{Cf}: U+200B zero-width space, U+00AD soft hyphen, U+2060 word joiner, bidi marks), which
// shows a reader the whole number while hiding it from a plainer scan; so does any other character
// Unicode says to render as nothing (\p{Default_Ignorable_Code_Point}: U+FE0F variation selectors, U+034F
// combining grapheme joiner, U+3164 and U+115F Hangul fillers) or a blank (U+2800 Braille blank), and a
// plus (a space in a form-encoded URL). Never a comma, colon or line break: they part the figures of
// lists, times and amounts (`1,500.00`, `10:20:30`).
const SEPARATOR = '[\\p{Zs}\\p{Pd}\\p{Cf}\\p{Default_Ignorable_Code_Point}\\u2800+\\u2212._/\\u00B7\\u2024\\u2044\\u2215\\uFF0E\\uFF0F\\uFF3F]';
// Between two groups, one to three separators in a row (`4111  1111`, `4111 - 1111`): until 7 December
// 2026 a second one parted the number, and a card written with double spaces was not masked.
const GROUP_JOIN = `${SEPARATOR}{1,3}`;
// In free text, a UUID (captured, kept) or a run of digit groups joined by separators, the way card and
// account numbers are written, whatever letters or punctuation touch it (`Card-4111…`, `Acct_4040…`,
// `4111…x`). The run never goes on into a UUID. Linear: a digit and a separator never compete for a
// character (no separator is a digit), and each join looks at most 36 characters ahead.
const UUID_IN_TEXT = new RegExp(UUID, 'gi');
const UUID_OR_DIGIT_RUN = new RegExp(`(${UUID})|${DIGIT}+(?:${GROUP_JOIN}(?!${UUID})${DIGIT}+)*`, 'giu');
const DIGIT_GROUP = new RegExp(`${DIGIT}+`, 'gu');
const CARD_MIN_DIGITS = 13;
const CARD_MAX_DIGITS = 19;
// A UK sort code and account number, 6 + 8 digits: one group, or split after the 2nd, 4th or 6th digit.
const SORT_CODE_AND_ACCOUNT_DIGITS = 14;
const SORT_CODE_SPLITS = new Set([2, 4, 6]);
// Any other group of eight digits or more is taken for an account number when it stands alone...
const ACCOUNT_MIN_DIGITS = 8;
// ...that is, no letter, digit, `_` or `-` next to it. Glued, such a group is most often a piece of a date,
// an id, a hash or a name (`REF_20251124`, `INV-2024-00012345`, `Init1764000000000`): masking those would
// corrupt far more text than it protects. Longer than any card number, it is masked glued or not.
const GLUE = /[\w-]/;
// A JWT or JWS anywhere in text. Its first part stops before a later "-eyJ" that could start one, so the
// tries from each "eyJ" of a long hyphenated run do not each read the run to its end (quadratic);
// at worst the unmasked text keeps a piece of the JWT's header, never its claims or signature.
const JWT_IN_TEXT = /\beyJ(?:\w|-(?!eyJ[\w-]))+\.[\w-]+\.[\w-]*\b/g;

// The length of an IBAN in each country that issues them (SWIFT's IBAN registry): an IBAN is read in free
// text only to its country's length, so a chance mod-97 match of other text is one in 97, not one in 97 for
// each length from 15 to 34.
const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
    DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27,
    GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
    LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24,
    PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25,
    SV: 28, TL: 23, TN: 24, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
  }),
);
// Where an IBAN may start in free text: a country code and two check digits, in capitals or not, with no
// letter or digit before them (`IBAN:GB29…`, `(gb29 …`). Its other characters follow as people and programs
// write them: in groups of four or in one piece, joined by what joins a card number's groups.
const IBAN_COUNTRY_AND_CHECK = '(?<![\\p{L}\\p{N}])[A-Za-z]{2}[0-9]{2}';
const IBAN_START = new RegExp(IBAN_COUNTRY_AND_CHECK, 'gu');
const SEPARATOR_ONLY = new RegExp(`^${SEPARATOR}$`, 'u');
const ALPHANUMERIC = /[A-Za-z0-9]/;

/**
 * The IBANs in `text` (ISO 13616: a country's length, its check digits right), each kept to its last four
 * characters, written without its separators: `GB29 NWBK 6016 1331 9268 19` becomes
 * `******************6819`, as an account number under an account number's name is masked. Printed in groups
 * of four, an IBAN has no group of eight digits and no card number's Luhn sum, and in one piece its digits
 * touch letters, so the digit-run scan below passed both whole until 7 December 2026. Linear: from each
 * start it reads at most a country's length of characters, each joined by at most three separators.
 */
function maskIbans(text: string): string {
  // A UUID stays whole (our ids), as in the digit-run scan: no IBAN starts in one or runs into one.
  const uuids = Array.from(text.matchAll(UUID_IN_TEXT), (m) => [m.index, m.index + m[0].length] as const);
  // The UUIDs are in order and never overlap: the last one starting at or before `at` is the only one
  // that can hold it (a binary search, so the scan stays linear-ish however many UUIDs the text holds).
  const inUuid = (at: number): boolean => {
    let low = 0;
    let high = uuids.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const [from, to] = uuids[middle]!;
      if (at < from) high = middle - 1;
      else if (at >= to) low = middle + 1;
      else return true;
    }
    return false;
  };
  const out: string[] = [];
  let copied = 0;
  for (const start of text.matchAll(IBAN_START)) {
    if (start.index < copied || inUuid(start.index)) continue;
    const length = IBAN_LENGTHS.get(start[0].slice(0, 2).toUpperCase());
    if (length === undefined) continue;
    let iban = start[0].toUpperCase();
    let at = start.index + 4;
    while (iban.length < length && at < text.length) {
      let joined = 0;
      while (joined < 3 && at + joined < text.length && SEPARATOR_ONLY.test(text.charAt(at + joined))) joined++;
      const next = text.charAt(at + joined);
      if (!ALPHANUMERIC.test(next) || inUuid(at + joined)) break;
      iban += next.toUpperCase();
      at += joined + 1;
    }
    if (iban.length !== length || !ibanChecks(iban)) continue;
    out.push(text.slice(copied, start.index), maskAccountNumber(iban));
    copied = at;
  }
  if (copied === 0) return text;
  out.push(text.slice(copied));
  return out.join('');
}

const MAX_DEPTH = 8;

// What any mask above needs: "eyJ", eight digits with at most three separators between each (a card
// number has 13), or an IBAN's country and check digits. Text without any (most identifiers, names, codes)
// is returned as it is, unscanned.
const MAY_NEED_REDACTION = new RegExp(`eyJ|${DIGIT}(?:${SEPARATOR}{0,3}${DIGIT}){7}|${IBAN_COUNTRY_AND_CHECK}(?:${SEPARATOR}{0,3}[A-Za-z0-9]){11}`, 'u');

/**
 * A group of digits in a run: where it starts and ends in the run's text, its digits in ASCII, and where
 * they start among the run's digits.
 */
interface DigitGroup {
  start: number;
  end: number;
  digits: string;
  offset: number;
}

/** A number written from a group of a run: the index of its last group, and whether it is a card number. */
interface NumberSpan {
  last: number;
  card: boolean;
}

/**
 * The number written from group `first` of a run, within its groups before `end`: the longest Luhn-valid
 * card number of 13 to 19 digits, else a sort code and account number; undefined when the group starts neither.
 */
function numberAt(groups: DigitGroup[], first: number, end: number): NumberSpan | undefined {
  let found: NumberSpan | undefined;
  const luhn = new LuhnCheck();
  let length = 0;
  let sortCodeShaped = true;
  for (let last = first; last < end; last++) {
    if (last > first && !SORT_CODE_SPLITS.has(length)) sortCodeShaped = false;
    const digits = groups[last]!.digits;
    length += digits.length;
    if (length > CARD_MAX_DIGITS) break;
    for (let i = 0; i < digits.length; i++) luhn.push(digits.charCodeAt(i) - 48);
    if (length >= CARD_MIN_DIGITS && luhn.valid) {
      found = { last, card: true };
    } else if (found === undefined && length === SORT_CODE_AND_ACCOUNT_DIGITS && sortCodeShaped) {
      found = { last, card: false };
    }
  }
  return found;
}

/**
 * Groups `first` to `last` of a run, masked as one: their digits, joined, replace them, with the run's
 * digits `hideFrom` to `hideTo` (exclusive) hidden.
 */
interface MaskedSpan {
  first: number;
  last: number;
  hideFrom: number;
  hideTo: number;
}

/**
 * One reading of the run's groups `from` to `to` (exclusive): its card numbers and sort code + account
 * numbers, wherever they sit and whatever touches them, and each other group of eight digits or more when
 * it stands alone or is longer than any card number. Numbers that share a group are masked as one (its
 * first six and last four digits, or only its last four when one of them is an account number): each then
 * shows no more than its own first six and last four.
 */
function readRun(text: string, groups: DigitGroup[], from: number, to: number, before: string, after: string): MaskedSpan[] {
  const spans: MaskedSpan[] = [];
  const mask = (first: number, last: number, showFirst: number, showLast: number): void => {
    const start = groups[first]!.offset;
    const end = groups[last]!.offset + groups[last]!.digits.length;
    spans.push({ first, last, hideFrom: start + showFirst, hideTo: end - showLast });
  };
  for (let g = from; g < to; g++) {
    const number = numberAt(groups, g, to);
    if (number) {
      let { last, card } = number;
      for (let next = g + 1; next <= last; next++) {
        const overlapping = numberAt(groups, next, to);
        if (overlapping) {
          last = Math.max(last, overlapping.last);
          card &&= overlapping.card;
        }
      }
      mask(g, last, card ? 6 : 0, 4);
      g = last;
      continue;
    }
    const { start, end, digits } = groups[g]!;
    const isAccountNumber =
      digits.length > CARD_MAX_DIGITS ||
      (digits.length >= ACCOUNT_MIN_DIGITS &&
        !GLUE.test(g === 0 ? before : text.charAt(start - 1)) &&
        !GLUE.test(g === groups.length - 1 ? after : text.charAt(end)));
    if (isAccountNumber) mask(g, g, 0, 4);
  }
  return spans;
}

/**
 * A run of digit groups (`before` and `after`: the characters around it) with its card and account numbers
 * masked (`readRun`). Where two or three separators join two groups, the run is read twice: parted there,
 * as two numbers may stand side by side (`1  12345678 …`), and whole, as one may be written
 * (`4111  1111  1111  1111`). A digit either reading hides is hidden, so neither shows what the other
 * masks (read whole alone, `1  123456783 3258 3704 9137 6` was a card from its `1` and showed `12345`).
 * The run is written as the parted reading writes it, but for the numbers read whole that hide a digit it
 * does not: those are written as one with the parted numbers they share a group with, separators dropped.
 */
function maskDigitRun(text: string, before: string, after: string): string {
  // Fewer than 8 digits are neither a card nor an account number: most dates, times and references.
  if (text.length < ACCOUNT_MIN_DIGITS) return text;
  let offset = 0;
  const groups: DigitGroup[] = Array.from(text.matchAll(DIGIT_GROUP), (m) => {
    const digits = asciiDigits(m[0]);
    const group = { start: m.index, end: m.index + m[0].length, digits, offset };
    offset += digits.length;
    return group;
  });
  // The parted reading: each stretch of groups between joins of two or three separators, read alone.
  const spans: MaskedSpan[] = [];
  let from = 0;
  for (let g = 1; g < groups.length; g++) {
    if (Array.from(text.slice(groups[g - 1]!.end, groups[g]!.start)).length > 1) {
      spans.push(...readRun(text, groups, from, g, before, after));
      from = g;
    }
  }
  spans.push(...readRun(text, groups, from, groups.length, before, after));
  const hidden: boolean[] = new Array<boolean>(offset).fill(false);
  for (const span of spans) hidden.fill(true, span.hideFrom, span.hideTo);
  // The whole reading, where the run was parted: its numbers that hide a digit the parted reading shows.
  if (from > 0) {
    const hidesMore = (span: MaskedSpan): boolean => hidden.slice(span.hideFrom, span.hideTo).includes(false);
    const more = readRun(text, groups, 0, groups.length, before, after).filter(hidesMore);
    for (const span of more) hidden.fill(true, span.hideFrom, span.hideTo);
    spans.push(...more);
  }
  spans.sort((a, b) => a.first - b.first);
  // The text up to `copied` is in `out`; what lies between masks is copied as it is.
  const out: string[] = [];
  let copied = 0;
  for (let s = 0; s < spans.length; s++) {
    const { first } = spans[s]!;
    let { last } = spans[s]!;
    while (s + 1 < spans.length && spans[s + 1]!.first <= last) last = Math.max(last, spans[++s]!.last);
    let masked = '';
    for (let g = first; g <= last; g++) {
      const { digits, offset: at } = groups[g]!;
      for (let i = 0; i < digits.length; i++) masked += hidden[at + i] ? '*' : digits.charAt(i);
    }
    out.push(text.slice(copied, groups[first]!.start), masked);
    copied = groups[last]!.end;
  }
  out.push(text.slice(copied));
  return out.join('');
}

/** Free text with JWTs removed and card, account numbers and IBANs masked (exported for its spec). */
export function scanText(text: string): string {
  return maskIbans(text.replace(JWT_IN_TEXT, REDACTED))
    .replace(UUID_OR_DIGIT_RUN, (run: string, uuid: string | undefined, offset: number, whole: string) =>
      uuid === undefined ? maskDigitRun(run, whole.charAt(offset - 1), whole.charAt(offset + run.length)) : run,
    );
}

/** scanText, skipped for text in which none of its patterns can match (exported for its spec). */
export function redactText(text: string): string {
  return MAY_NEED_REDACTION.test(text) ? scanText(text) : text;
}

function redactValue(value: unknown, key: string | undefined, depth: number): unknown {
  if (key !== undefined && SECRET_KEY.test(key)) return value === null || value === undefined ? value : REDACTED;
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    if (key !== undefined && AMOUNT_KEY.test(key) && OB_AMOUNT.test(value)) return value;
    if (key !== undefined && ACCOUNT_NUMBER_KEY.test(key)) {
      const digits = asciiDigits(value);
      return digits.length >= 13 && isLuhnValid(digits) ? maskPan(digits) : maskAccountNumber(value);
    }
    return redactText(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, key, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = redactValue(v, k, depth + 1);
    }
    return out;
  }
  return REDACTED;
}

/**
 * Returns a copy safe to store in the audit log or write to a log line: secrets (passwords, TOTP codes,
 * tokens, keys, cookies) are replaced, account numbers keep their last four digits and card numbers
 * their first six and last four.
 */
export function redactForAudit<T>(value: T): T {
  return redactValue(value, undefined, 0) as T;
}
