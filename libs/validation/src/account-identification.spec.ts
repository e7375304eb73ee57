import { plainToInstance } from 'class-transformer';
import { IsOptional, IsString, validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';

import { accountIdentificationProblem, identificationTextProblem, IsAccountIdentification, IsIdentificationText, writeOutUnprintable } from './account-identification.js';

const SORT_CODE = 'UK.OBIE.SortCodeAccountNumber';
const IBAN = 'UK.OBIE.IBAN';
const PAN = 'UK.OBIE.PAN';

class Account {
  @IsString()
  SchemeName!: string;

  @IsString()
  @IsAccountIdentification()
  Identification!: string;

  @IsOptional()
  @IsString()
  @IsIdentificationText()
  SecondaryIdentification?: string;
}

const failures = (body: Record<string, unknown>): string[] => validateSync(plainToInstance(Account, body)).flatMap((e) => Object.values(e.constraints ?? {}));

describe('account identifications', () => {
  it('takes each scheme’s one form', () => {
    expect(accountIdentificationProblem(SORT_CODE, '40400412345678')).toBeNull();
    expect(accountIdentificationProblem(IBAN, 'GB29NWBK60161331926819')).toBeNull();
    expect(accountIdentificationProblem(PAN, '4111111111111111')).toBeNull();
    expect(accountIdentificationProblem('UK.OBIE.Paym', '+447700900123')).toBeNull();
    expect(accountIdentificationProblem('UK.OBIE.BBAN', 'NWBK60161331926819')).toBeNull();
  });

  it.each([
    [SORT_CODE, '4040041234567', 'one digit short'],
    [SORT_CODE, '40-40-04 12345678', 'with separators'],
    [SORT_CODE, '\u0664\u0660\u0664\u0660\u0660\u0664\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668', 'in Arabic-Indic digits'],
    [IBAN, 'GB28NWBK60161331926819', 'with wrong check digits'],
    [IBAN, 'GB29 NWBK 6016 1331 9268 19', 'with spaces'],
    [IBAN, 'gb29nwbk60161331926819', 'in small letters'],
    [PAN, '4111 1111 1111 1111', 'with spaces'],
    [PAN, '41111111111', 'of 11 digits'],
  ])('refuses a %s identification %j (%s)', (scheme, identification) => {
    expect(accountIdentificationProblem(scheme, identification)).toMatch(/^must be /);
  });

  it('refuses in every scheme what does not print as itself: the override that drew another account on the approval page (7 December 2026), other format and control characters, spaces at the ends', () => {
    for (const scheme of [SORT_CODE, IBAN, PAN, 'UK.OBIE.Paym', 'UK.OBIE.Wallet', 'UK.OBIE.BBAN']) {
      // The invisible ones the first version took: a grapheme joiner, variation selectors, Hangul fillers, a Braille blank.
      const invisible = ['alice\u034Fwallet', 'alice\uFE0Fwallet', 'alice\u180Bwallet', 'alice\u3164wallet', 'alice\u115Fwallet', 'alice\u2800wallet'];
      for (const identification of ['\u202E87654321 40-04-04', 'wallet\u200Bid', 'wallet\u0000id', 'wallet\nid', 'wallet\u2028id', '\uE000wallet', ' wallet', 'wallet ', ...invisible]) {
        expect(accountIdentificationProblem(scheme, identification), `${scheme} ${JSON.stringify(identification)}`).not.toBeNull();
      }
    }
    expect(identificationTextProblem('ROLL 123/A')).toBeNull();
    expect(identificationTextProblem('ROLL\u202E321')).toBe('must hold no control, format or invisible characters');
    expect(identificationTextProblem('ROLL\u3164123')).not.toBeNull();
    // Names and wallets in other scripts print: taken.
    expect(accountIdentificationProblem('UK.OBIE.Wallet', 'ملف-٤٢')).toBeNull();
    expect(writeOutUnprintable('\u202E87654321\u3164 40')).toBe('[U+202E]87654321[U+3164] 40');
  });

  it('reads the scheme from the same object, as class-validator runs it, naming the field', () => {
    expect(failures({ SchemeName: SORT_CODE, Identification: '40400412345678', SecondaryIdentification: 'ROLL-1' })).toEqual([]);
    expect(failures({ SchemeName: SORT_CODE, Identification: '404004 12345678' })).toEqual(['Identification must be the 6-digit sort code and the 8-digit account number, 14 digits for UK.OBIE.SortCodeAccountNumber']);
    expect(failures({ SchemeName: 'UK.OBIE.Wallet', Identification: 'w\u202Eallet', SecondaryIdentification: ' ROLL' })).toEqual([
      'Identification must hold no control, format or invisible characters',
      'SecondaryIdentification must not start or end with a space',
    ]);
    // A value that is not a string is IsString's alone.
    expect(failures({ SchemeName: SORT_CODE, Identification: 40400412345678 })).toEqual(['Identification must be a string']);
  });
});
