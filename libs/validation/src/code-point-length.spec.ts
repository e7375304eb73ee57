import 'reflect-metadata';

import { obSchema } from '@consentry/testing';
import { Ajv } from 'ajv';
import { IsDefined, IsOptional, IsString } from 'class-validator';
import { describe, expect, it } from 'vitest';

import { CodePointLength, countCodePoints, hasCodePointLength, MaxCodePoints, MinCodePoints } from './code-point-length.js';
import { ObErrorException } from './ob-error.exception.js';
import { createValidationPipe } from './validation-pipe.factory.js';

const VS15 = '\uFE0E';
const VS16 = '\uFE0F';
const ASTRAL = '😀'; // U+1F600: one code point, two UTF-16 units
const COMBINING_ACUTE = '\u0301';

class LimitedInitiation {
  @IsDefined()
  @IsString()
  @CodePointLength(1, 35)
  EndToEndIdentification!: string;

  @IsOptional()
  @IsString()
  @MaxCodePoints(35)
  Reference?: string;

  @IsOptional()
  @IsString()
  @MinCodePoints(3)
  Reason?: string;

  @IsOptional()
  @IsString({ each: true })
  @CodePointLength(1, 5, { each: true })
  Unstructured?: string[];
}

async function errorsFor(body: Record<string, unknown>): Promise<unknown[]> {
  const pipe = createValidationPipe();
  try {
    await pipe.transform(body, { type: 'body', metatype: LimitedInitiation });
  } catch (error) {
    if (error instanceof ObErrorException) return error.errors;
    throw error;
  }
  return [];
}

describe('countCodePoints', () => {
  it.each<[string, string, number]>([
    ['an empty string', '', 0],
    ['ASCII', 'E2E-0001', 8],
    ['a surrogate pair once', ASTRAL, 1],
    ['each of several surrogate pairs once', `${ASTRAL}a${ASTRAL}${ASTRAL}`, 4],
    ['a variation selector as one', `a${VS16}`, 2],
    ['a text-presentation selector as one', `a${VS15}`, 2],
    ['a combining mark as one', `e${COMBINING_ACUTE}`, 2],
    ['each part of a ZWJ sequence', '👩\u200D💻', 3],
    ['an emoji with its selector as two', `❤${VS16}`, 2],
    ['a lone high surrogate as one', '\uD83D', 1],
    ['a lone low surrogate as one', 'a\uDE00', 2],
    ['a low then a high surrogate as two', '\uDE00\uD83D', 2],
  ])('counts %s', (_case, value, count) => {
    expect(countCodePoints(value)).toBe(count);
    expect(countCodePoints(value)).toBe([...value].length);
  });
});

describe('hasCodePointLength', () => {
  it('takes exactly max code points and refuses one more, whatever the UTF-16 length', () => {
    expect(hasCodePointLength('a'.repeat(35), 1, 35)).toBe(true);
    expect(hasCodePointLength('a'.repeat(36), 1, 35)).toBe(false);
    expect(hasCodePointLength(ASTRAL.repeat(35), 1, 35)).toBe(true);
    expect(hasCodePointLength(ASTRAL.repeat(36), 1, 35)).toBe(false);
    expect(hasCodePointLength(`${'a'.repeat(34)}${VS16}`, 1, 35)).toBe(true);
    expect(hasCodePointLength(`${'a'.repeat(35)}${VS16}`, 1, 35)).toBe(false);
    expect(hasCodePointLength(`a${VS16}`.repeat(35), 1, 35)).toBe(false);
    expect(hasCodePointLength(`e${COMBINING_ACUTE}`.repeat(18), 1, 35)).toBe(false);
    expect(hasCodePointLength(`${'a'.repeat(350)}${VS15}`, 1, 350)).toBe(false);
  });

  it('takes exactly min code points and refuses one fewer', () => {
    expect(hasCodePointLength('', 1, 35)).toBe(false);
    expect(hasCodePointLength('a', 1, 35)).toBe(true);
    expect(hasCodePointLength(`${ASTRAL}${ASTRAL}`, 3)).toBe(false);
    expect(hasCodePointLength(`${ASTRAL}${ASTRAL}${ASTRAL}`, 3)).toBe(true);
    expect(hasCodePointLength(`a${VS16}b`, 3)).toBe(true);
  });

  it('refuses anything but a string', () => {
    for (const value of [undefined, null, 7, ['a'], { length: 1 }]) expect(hasCodePointLength(value, 0, 35)).toBe(false);
  });
});

// The OB schemas' maxLength/minLength are what ajv checks in the OB schema tests: the rule must take and
// refuse the same strings.
describe('the count against ajv’s, as the OB schemas check it', () => {
  const SAMPLES = [
    '',
    'a',
    'a'.repeat(34),
    'a'.repeat(35),
    'a'.repeat(36),
    `a${VS16}`.repeat(17),
    `a${VS16}`.repeat(18),
    `a${VS16}`.repeat(35),
    `${'a'.repeat(34)}${VS15}`,
    `${'a'.repeat(35)}${VS15}`,
    ASTRAL.repeat(35),
    ASTRAL.repeat(36),
    `${'a'.repeat(34)}${ASTRAL}`,
    `${'a'.repeat(33)}${ASTRAL}${VS16}`,
    `${'a'.repeat(34)}${ASTRAL}${VS16}`,
    `e${COMBINING_ACUTE}`.repeat(17),
    `e${COMBINING_ACUTE}`.repeat(18),
    '👩\u200D💻'.repeat(11),
    '👩\u200D💻'.repeat(12),
    `${'€'.repeat(35)}`,
    `${'€'.repeat(36)}`,
  ];

  it('agrees with the official OBWriteDomesticConsent4 EndToEndIdentification (Max35Text) on every sample', () => {
    const validate = obSchema('OBWriteDomesticConsent4', 'payment-initiation');
    const PATH = '/Data/Initiation/EndToEndIdentification';
    for (const value of SAMPLES) {
      const body = {
        Data: {
          Initiation: {
            InstructionIdentification: 'I-1',
            EndToEndIdentification: value,
            InstructedAmount: { Amount: '1.00', Currency: 'GBP' },
            CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '11223321325698', Name: 'Bob' },
          },
        },
        Risk: {},
      };
      validate(body);
      const schemaTakes = !(validate.errors ?? []).some((error) => error.instancePath === PATH);
      expect({ value, takes: hasCodePointLength(value, 1, 35) }).toEqual({ value, takes: schemaTakes });
    }
  });

  it('agrees with ajv’s minLength and maxLength for other limits', () => {
    const ajv = new Ajv();
    for (const [min, max] of [
      [1, 1],
      [1, 2],
      [3, 4],
      [1, 17],
      [1, 18],
      [1, 36],
      [1, 70],
    ] as const) {
      const validate = ajv.compile({ type: 'string', minLength: min, maxLength: max });
      for (const value of SAMPLES) {
        expect({ value, min, max, takes: hasCodePointLength(value, min, max) }).toEqual({ value, min, max, takes: validate(value) });
      }
    }
  });
});

describe('the length decorators in the validation pipe', () => {
  it('refuses 35 letters each with a variation selector (70 code points) as U002 with its Path', async () => {
    expect(await errorsFor({ EndToEndIdentification: `a${VS16}`.repeat(35) })).toEqual([
      { ErrorCode: 'U002', Message: 'EndToEndIdentification must be shorter than or equal to 35 characters', Path: 'EndToEndIdentification' },
    ]);
  });

  it('accepts 35 code points of which one is an astral emoji, and exactly 35 letters', async () => {
    expect(await errorsFor({ EndToEndIdentification: `${'a'.repeat(34)}${ASTRAL}` })).toEqual([]);
    expect(await errorsFor({ EndToEndIdentification: 'a'.repeat(35) })).toEqual([]);
  });

  it('refuses an empty value as too short', async () => {
    expect(await errorsFor({ EndToEndIdentification: '' })).toEqual([
      { ErrorCode: 'U002', Message: 'EndToEndIdentification must be longer than or equal to 1 characters', Path: 'EndToEndIdentification' },
    ]);
  });

  it('answers MaxCodePoints and MinCodePoints as U002 with their Path', async () => {
    expect(await errorsFor({ EndToEndIdentification: 'E', Reference: `${'a'.repeat(35)}${VS15}` })).toEqual([
      { ErrorCode: 'U002', Message: 'Reference must be shorter than or equal to 35 characters', Path: 'Reference' },
    ]);
    expect(await errorsFor({ EndToEndIdentification: 'E', Reason: `${ASTRAL}${ASTRAL}` })).toEqual([
      { ErrorCode: 'U002', Message: 'Reason must be longer than or equal to 3 characters', Path: 'Reason' },
    ]);
    expect(await errorsFor({ EndToEndIdentification: 'E', Reference: ASTRAL.repeat(35), Reason: `a${VS16}b` })).toEqual([]);
  });

  it('checks each item of a list, reporting on the list', async () => {
    expect(await errorsFor({ EndToEndIdentification: 'E', Unstructured: ['rent', `abcde${VS16}`] })).toEqual([
      { ErrorCode: 'U002', Message: 'each value in Unstructured must be shorter than or equal to 5 characters', Path: 'Unstructured' },
    ]);
    expect(await errorsFor({ EndToEndIdentification: 'E', Unstructured: ['rent', ''] })).toEqual([
      { ErrorCode: 'U002', Message: 'each value in Unstructured must be longer than or equal to 1 characters', Path: 'Unstructured' },
    ]);
    expect(await errorsFor({ EndToEndIdentification: 'E', Unstructured: [ASTRAL.repeat(5), 'rent'] })).toEqual([]);
  });

  it('leaves a missing required value to U004', async () => {
    expect(await errorsFor({})).toEqual([expect.objectContaining({ ErrorCode: 'U004', Path: 'EndToEndIdentification' })]);
  });
});
