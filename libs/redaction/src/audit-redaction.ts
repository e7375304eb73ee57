import { isLuhnValid, maskAccountNumber, maskPan } from './mask.js';

export const REDACTED = '[REDACTED]';

// Keys whose values are secrets: dropped whole, whatever their shape.
const SECRET_KEY =
  /pass(word|phrase)?|secret|token|otp|totp|one_?time|code_?verifier|assertion|private|authorization|cookie|credential|signature|^code$|^d$|^p$|^q$|^dp$|^dq$|^qi$|^k$|dpop|session|pin$/i;
// Keys whose values are account or card numbers: masked to the last four (PAN: first six, last four).
const ACCOUNT_NUMBER_KEY = /identification|account_?number|iban|^pan$|card_?number|sort_?code/i;
// Digit runs in free text that look like card numbers (13-19 digits, spaces or dashes allowed).
const PAN_IN_TEXT = /(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])/g;
// Eight or more digits in a row in free text: treated as an account number. Not a group of a UUID or
// another hyphenated identifier, which would corrupt ids without hiding anything.
const LONG_NUMBER_IN_TEXT = /(?<![\w-])\d{8,}(?![\w-])/g;
// A JWT or JWS anywhere in text.
const JWT_IN_TEXT = /\beyJ[\w-]+\.[\w-]+\.[\w-]*\b/g;

const MAX_DEPTH = 8;

// What any of the three patterns above needs: "eyJ", or eight digits with at most one space or dash
// between each. Text without it (most identifiers, names, codes) is returned as it is, unscanned.
const MAY_NEED_REDACTION = /eyJ|\d(?:[ -]?\d){7}/;

/** Free text with JWTs removed and card and account numbers masked (exported for its spec). */
export function scanText(text: string): string {
  return text
    .replace(JWT_IN_TEXT, REDACTED)
    .replace(PAN_IN_TEXT, (match) => {
      const digits = match.replace(/\D/g, '');
      return isLuhnValid(digits) ? maskPan(digits) : match;
    })
    .replace(LONG_NUMBER_IN_TEXT, (match) => maskAccountNumber(match));
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
