import { isLuhnValid, maskAccountNumber, maskPan } from './mask.js';

export const REDACTED = '[REDACTED]';

// Keys whose values are secrets: dropped whole, whatever their shape.
const SECRET_KEY =
  /pass(word|phrase)?|secret|token|otp|totp|one_?time|code_?verifier|assertion|private|authorization|cookie|credential|signature|^code$|^d$|^p$|^q$|^dp$|^dq$|^qi$|^k$|dpop|session|pin$/i;
// Keys whose values are account or card numbers: masked to the last four (PAN: first six, last four).
const ACCOUNT_NUMBER_KEY = /identification|account_?number|iban|^pan$|card_?number|sort_?code/i;
// A UUID standing alone (not glued to more hex digits): our ids (`vrp-<uuid>`, event ids) stay whole even
// when a group is all digits. Its groups hold at most 12 digits, never a whole card number (13 to 19) or
// sort code and account number (14).
const UUID = '(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])';
// In free text, a UUID (captured, kept) or a run of digit groups joined by single spaces or hyphens, the
// way card and account numbers are written, whatever letters or punctuation touch it (`Card-4111…`,
// `Acct_4040…`, `4111…x`). The run never goes on into a UUID. Linear: a digit and a separator never
// compete for a character, and each separator looks at most 36 characters ahead.
const UUID_OR_DIGIT_RUN = new RegExp(`(${UUID})|\\d+(?:[ -](?!${UUID})\\d+)*`, 'gi');
const SEPARATOR = /[ -]/;
const CARD_MIN_DIGITS = 13;
const CARD_MAX_DIGITS = 19;
// A UK sort code and account number, 6 + 8 digits: one group, or split after the 2nd, 4th or 6th digit.
const SORT_CODE_AND_ACCOUNT = /^\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{8}$/;
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

const MAX_DEPTH = 8;

// What any mask above needs: "eyJ", or eight digits with at most one space or dash between each (a card
// number has 13). Text without it (most identifiers, names, codes) is returned as it is, unscanned.
const MAY_NEED_REDACTION = /eyJ|\d(?:[ -]?\d){7}/;

/** A run of digit groups joined by single separators: its text, its groups, and its digits alone. */
interface DigitRun {
  text: string;
  groups: string[];
  /** Where each group starts in `text`; group g starts at `starts[g] - g` in `digits`, one separator each. */
  starts: number[];
  digits: string;
}

/**
 * The masked form of the number written from group `first` of a run, and the index of its last group: the
 * longest Luhn-valid card number of 13 to 19 digits, else a sort code and account number; undefined when
 * the group starts neither.
 */
function numberAt({ text, groups, starts, digits }: DigitRun, first: number): { masked: string; last: number } | undefined {
  let found: { masked: string; last: number } | undefined;
  for (let last = first; last < groups.length; last++) {
    const end = starts[last]! + groups[last]!.length;
    const number = digits.slice(starts[first]! - first, end - last);
    if (number.length > CARD_MAX_DIGITS) break;
    if (number.length >= CARD_MIN_DIGITS && isLuhnValid(number)) {
      found = { masked: maskPan(number), last };
    } else if (found === undefined && number.length === 14 && SORT_CODE_AND_ACCOUNT.test(text.slice(starts[first], end))) {
      found = { masked: maskAccountNumber(number), last };
    }
  }
  return found;
}

/**
 * A run of digit groups (`before` and `after`: the characters around it) with its card numbers and sort
 * code + account numbers masked, wherever they sit in it and whatever touches it, and each other group of
 * eight digits or more masked to its last four when it stands alone, or is longer than any card number.
 */
function maskDigitRun(text: string, before: string, after: string): string {
  // Fewer than 8 digits are neither a card nor an account number: most dates, times and references.
  if (text.length < ACCOUNT_MIN_DIGITS) return text;
  const groups = text.split(SEPARATOR);
  const starts: number[] = [];
  let at = 0;
  for (const group of groups) {
    starts.push(at);
    at += group.length + 1;
  }
  const run: DigitRun = { text, groups, starts, digits: groups.join('') };
  const out: string[] = [];
  for (let g = 0; g < groups.length; g++) {
    if (g > 0) out.push(text.charAt(starts[g]! - 1));
    const number = numberAt(run, g);
    if (number) {
      out.push(number.masked);
      g = number.last;
      continue;
    }
    const group = groups[g]!;
    const isAccountNumber =
      group.length > CARD_MAX_DIGITS ||
      (group.length >= ACCOUNT_MIN_DIGITS &&
        !GLUE.test(g === 0 ? before : text.charAt(starts[g]! - 1)) &&
        !GLUE.test(g === groups.length - 1 ? after : text.charAt(starts[g]! + group.length)));
    out.push(isAccountNumber ? maskAccountNumber(group) : group);
  }
  return out.join('');
}

/** Free text with JWTs removed and card and account numbers masked (exported for its spec). */
export function scanText(text: string): string {
  return text
    .replace(JWT_IN_TEXT, REDACTED)
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
    if (key !== undefined && ACCOUNT_NUMBER_KEY.test(key)) {
      const digits = value.replace(/\D/g, '');
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
