import { ibanChecks } from '@consentry/redaction';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

// Code points that do not print as themselves: controls, format characters (U+202E, the right-to-left
// override, draws what follows it backwards: "\u202E87654321 40-04-04" reads as 40-40-04 12345678 on a
// page), private-use, unassigned and surrogate code points, line and paragraph separators, and what
// Unicode says to render as nothing (Default_Ignorable_Code_Point: U+034F, the variation selectors, the
// Hangul fillers U+115F and U+3164) or shows as a blank (U+2800), as libs/redaction reads them.
const UNPRINTABLE = /[\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]/u;
const UNPRINTABLE_EACH = new RegExp(UNPRINTABLE.source, 'gu');

/** `text` with each code point that does not print as itself written out as its U+ number (`[U+202E]`), for a page. */
export function writeOutUnprintable(text: string): string {
  return text.replace(UNPRINTABLE_EACH, (c) => `[U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
}

/** The schemes whose identification has one written form, and that form (OB's scheme descriptions). */
const SCHEME_FORMS: Readonly<Record<string, { pattern: RegExp; says: string; holds?: (identification: string) => boolean }>> = {
  'UK.OBIE.SortCodeAccountNumber': { pattern: /^[0-9]{14}$/, says: 'the 6-digit sort code and the 8-digit account number, 14 digits' },
  'UK.OBIE.IBAN': { pattern: /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/, says: 'an IBAN in capitals without spaces, with its check digits right', holds: ibanChecks },
  'UK.OBIE.PAN': { pattern: /^[0-9]{12,19}$/, says: 'a card number of 12 to 19 digits' },
};

/**
 * Why `identification` cannot name an account of `scheme` (an OB account scheme), or null: every
 * identification prints as itself, without spaces at either end; a sort code and account number, an IBAN
 * and a card number have their one form. The page the PSU approves a payee on shows the identification the
 * payment goes to (PSD2 RTS Art. 5), so it must read as what it is.
 */
export function accountIdentificationProblem(scheme: unknown, identification: string): string | null {
  const printable = identificationTextProblem(identification);
  if (printable) return printable;
  const form = typeof scheme === 'string' ? SCHEME_FORMS[scheme] : undefined;
  if (form && (!form.pattern.test(identification) || (form.holds && !form.holds(identification)))) return `must be ${form.says} for ${String(scheme)}`;
  return null;
}

/** Why `text` cannot be an identifier a PSU reads (a SecondaryIdentification), or null: it prints as itself, without spaces at either end. */
export function identificationTextProblem(text: string): string | null {
  if (UNPRINTABLE.test(text)) return 'must hold no control, format or invisible characters';
  if (text.trim() !== text) return 'must not start or end with a space';
  return null;
}

function identificationDecorator(name: string, problem: (value: string, args: ValidationArguments) => string | null, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: (args: ValidationArguments) => `${args.property} ${problem(String(args.value), args) ?? 'is invalid'}`, ...options },
      // A value that is not a string is IsString's to refuse.
      validator: { validate: (value: unknown, args: ValidationArguments) => typeof value !== 'string' || problem(value, args) === null },
    });
}

/** An account's Identification in the form its sibling `SchemeName` gives it (accountIdentificationProblem). */
export function IsAccountIdentification(options?: ValidationOptions): PropertyDecorator {
  return identificationDecorator('isAccountIdentification', (value, args) => accountIdentificationProblem((args.object as { SchemeName?: unknown }).SchemeName, value), options);
}

/** Identifying text a PSU reads that prints as itself (identificationTextProblem): a SecondaryIdentification. */
export function IsIdentificationText(options?: ValidationOptions): PropertyDecorator {
  return identificationDecorator('isIdentificationText', (value) => identificationTextProblem(value), options);
}
