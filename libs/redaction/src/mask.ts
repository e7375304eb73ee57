/** Shows at most the last four characters of an account number or identifier. */
export function maskAccountNumber(value: string): string {
  // Whole characters (code points), never half of a surrogate pair, which jsonb cannot store.
  const compact = Array.from(value.replace(/\s+/g, ''));
  if (compact.length <= 4) return '*'.repeat(compact.length);
  return `${'*'.repeat(compact.length - 4)}${compact.slice(-4).join('')}`;
}

/**
 * Masks a card number (PAN) the way PCI DSS req. 3.4 allows at most: the first six and last four
 * digits may show, never more. Digits of any script count (`asciiDigits`); the mask is written in ASCII.
 */
export function maskPan(pan: string): string {
  const digits = asciiDigits(pan);
  if (digits.length < 13) return '*'.repeat(digits.length);
  return `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4)}`;
}

/**
 * ISO 13616's check of an IBAN in capitals without spaces: the country and check digits moved to the end,
 * letters as numbers (A = 10 … Z = 35), mod 97 = 1. The API's form rule for UK.OBIE.IBAN
 * (libs/validation) and the free-text scan here both use it.
 */
export function ibanChecks(iban: string): boolean {
  const digits = `${iban.slice(4)}${iban.slice(0, 4)}`.replace(/[A-Z]/g, (letter) => String(letter.charCodeAt(0) - 55));
  let remainder = 0;
  for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97;
  return remainder === 1;
}

/** Luhn check of ASCII digits, used to recognise card numbers inside free text. */
export function isLuhnValid(digits: string): boolean {
  const check = new LuhnCheck();
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    check.push(d);
  }
  return check.valid;
}

/**
 * The Luhn check of a number read left to right, a digit at a time, so that each longer prefix is checked
 * in constant time: the sum is kept both ways, with the last digit read undoubled (odd length) or doubled.
 */
export class LuhnCheck {
  private length = 0;
  private lastUndoubledAtEven = 0;
  private lastUndoubledAtOdd = 0;

  push(digit: number): void {
    const doubled = digit > 4 ? digit * 2 - 9 : digit * 2;
    if (this.length % 2 === 0) {
      this.lastUndoubledAtEven += digit;
      this.lastUndoubledAtOdd += doubled;
    } else {
      this.lastUndoubledAtEven += doubled;
      this.lastUndoubledAtOdd += digit;
    }
    this.length++;
  }

  /** Whether the digits pushed so far, at least one, pass the check. */
  get valid(): boolean {
    return this.length > 0 && (this.length % 2 === 1 ? this.lastUndoubledAtEven : this.lastUndoubledAtOdd) % 10 === 0;
  }
}

const ASCII_DIGITS = /^[0-9]*$/;
const NOT_A_DECIMAL_DIGIT = /\P{Nd}+/gu;
const NON_ASCII_DECIMAL_DIGIT = /(?![0-9])\p{Nd}/gu;
const DECIMAL_DIGIT = /^\p{Nd}$/u;
// The zero of each non-ASCII digit met so far: at most the few hundred \p{Nd} code points there are.
const zeroOfDigit = new Map<number, number>();

/**
 * The value of a decimal digit of any script. Unicode encodes every set of decimal digits as ten
 * contiguous code points, 0 to 9 in order (its stability policy for Numeric_Type=Decimal), so a stretch
 * of adjacent digit code points starts with a zero; the longest (mathematical digits) is fifty.
 */
function digitValue(digit: string): string {
  const codePoint = digit.codePointAt(0)!;
  let zero = zeroOfDigit.get(codePoint);
  if (zero === undefined) {
    let first = codePoint;
    while (DECIMAL_DIGIT.test(String.fromCodePoint(first - 1))) first--;
    zero = codePoint - ((codePoint - first) % 10);
    zeroOfDigit.set(codePoint, zero);
  }
  return String(codePoint - zero);
}

/**
 * The decimal digits of `text` as ASCII digits, whatever their script (full-width `４`, Arabic-Indic
 * `٤`, Devanagari `४`: Unicode `\p{Nd}`), everything else dropped.
 */
export function asciiDigits(text: string): string {
  if (ASCII_DIGITS.test(text)) return text;
  return text.replace(NOT_A_DECIMAL_DIGIT, '').replace(NON_ASCII_DECIMAL_DIGIT, digitValue);
}
