import 'reflect-metadata';

import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { describe, expect, it } from 'vitest';

import { CodePointLength } from './code-point-length.js';
import { buildObErrorResponse } from './ob-error-response.js';
import { ObErrorException } from './ob-error.exception.js';
import { isCustomerIpAddress, isFapiAuthDate } from './fapi-headers.js';
import { isObId } from './ob-id.pipe.js';
import { IsObDateTime, IsObPermission, isObDateTime, parseObQueryDateTime } from './ob-validators.js';
import { createValidationPipe } from './validation-pipe.factory.js';

class SampleData {
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @IsObPermission(['ReadAccountsBasic', 'ReadBalances'], { each: true })
  Permissions!: string[];

  @IsOptional()
  @IsObDateTime()
  ExpirationDateTime?: string;

  // As RemittanceInformation.Unstructured: lines of text, each with its own limits.
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @CodePointLength(1, 140, { each: true })
  Lines?: string[];
}

class SampleRisk {}

// As PeriodicLimits: an array of objects, each validated as its class.
class SampleLimit {
  @IsDefined()
  @IsString()
  PeriodType!: string;
}

class SampleControls {
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => SampleLimit)
  Limits!: SampleLimit[];

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SampleLimit)
  Single?: SampleLimit;
}

class SampleControlsBody {
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SampleControls)
  Data!: SampleControls;
}

class SampleBody {
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SampleData)
  Data!: SampleData;

  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SampleRisk)
  Risk!: SampleRisk;
}

class OptionalQuery {
  @IsOptional()
  @IsString()
  page?: string;
}

class RequiredQuery {
  @IsDefined()
  @IsString()
  status!: string;
}

class DefaultedQuery {
  @IsOptional()
  @IsString()
  order?: string = 'asc';
}

async function refusal(value: unknown, metatype: new () => object = SampleBody): Promise<ObErrorException> {
  const pipe = createValidationPipe();
  try {
    await pipe.transform(value, { type: 'body', metatype });
  } catch (error) {
    if (error instanceof ObErrorException) return error;
    throw error;
  }
  throw new Error('expected the pipe to refuse the body');
}

describe('createValidationPipe', () => {
  describe('an empty query', () => {
    it('gives a new instance when every parameter is optional', async () => {
      const pipe = createValidationPipe();
      for (let i = 0; i < 2; i++) {
        const out = await pipe.transform({}, { type: 'query', metatype: OptionalQuery });
        expect(out).toBeInstanceOf(OptionalQuery);
        expect((out as OptionalQuery).page).toBeUndefined();
      }
    });

    it('is still refused, every time, when a parameter is required', async () => {
      const pipe = createValidationPipe();
      for (let i = 0; i < 2; i++) {
        const error = await pipe.transform({}, { type: 'query', metatype: RequiredQuery }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ObErrorException);
        expect((error as ObErrorException).status).toBe(400);
      }
    });

    it('keeps the defaults a DTO declares', async () => {
      const pipe = createValidationPipe();
      for (let i = 0; i < 2; i++) {
        expect(await pipe.transform({}, { type: 'query', metatype: DefaultedQuery })).toEqual(Object.assign(new DefaultedQuery(), { order: 'asc' }));
      }
    });

    it('does not let a non-empty query skip validation', async () => {
      const pipe = createValidationPipe();
      await pipe.transform({}, { type: 'query', metatype: OptionalQuery });
      const unknown = await pipe.transform({ sort: 'x' }, { type: 'query', metatype: OptionalQuery }).catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(ObErrorException);
      const wrongType = await pipe.transform({ page: ['a', 'b'] }, { type: 'query', metatype: OptionalQuery }).catch((e: unknown) => e);
      expect(wrongType).toBeInstanceOf(ObErrorException);
    });
  });

  it('accepts a valid body and returns a DTO instance', async () => {
    const pipe = createValidationPipe();
    const out = await pipe.transform({ Data: { Permissions: ['ReadBalances'] }, Risk: {} }, { type: 'body', metatype: SampleBody });
    expect(out).toBeInstanceOf(SampleBody);
  });

  it('reports an unknown field as U005 with its path', async () => {
    const error = await refusal({ Data: { Permissions: ['ReadBalances'], Extra: 1 }, Risk: {} });
    expect(error.errors).toEqual([{ ErrorCode: 'U005', Message: 'Data.Extra is not a field of this resource', Path: 'Data.Extra' }]);
  });

  it('reports an unknown field inside Risk as U005', async () => {
    const error = await refusal({ Data: { Permissions: ['ReadBalances'] }, Risk: { Foo: 'x' } });
    expect(error.errors[0]).toMatchObject({ ErrorCode: 'U005', Path: 'Risk.Foo' });
  });

  it('reports a missing required field as U004', async () => {
    const error = await refusal({ Data: {}, Risk: {} });
    expect(error.errors).toEqual([expect.objectContaining({ ErrorCode: 'U004', Path: 'Data.Permissions' })]);
  });

  it('reports a wrong type as U002', async () => {
    const error = await refusal({ Data: { Permissions: 'ReadBalances' }, Risk: {} });
    expect(error.errors[0]).toMatchObject({ ErrorCode: 'U002', Path: 'Data.Permissions' });
  });

  it('names the wrong type first when a value fails its type and the limits of the type it should have', async () => {
    const error = await refusal({ Data: { Permissions: ['ReadBalances'], Lines: 'one line' }, Risk: {} });
    expect(error.errors).toEqual([{ ErrorCode: 'U002', Path: 'Data.Lines', Message: 'Data.Lines must be an array' }]);
    const items = await refusal({ Data: { Permissions: ['ReadBalances'], Lines: [7] }, Risk: {} });
    expect(items.errors).toEqual([{ ErrorCode: 'U002', Path: 'Data.Lines', Message: 'each value in Data.Lines must be a string' }]);
  });

  it('reports an unknown permission code as U002 on the array', async () => {
    const error = await refusal({ Data: { Permissions: ['ReadEverything'] }, Risk: {} });
    expect(error.errors).toEqual([expect.objectContaining({ ErrorCode: 'U002', Path: 'Data.Permissions' })]);
  });

  describe('field names Object.prototype has (class-transformer would skip them)', () => {
    const NAMES = ['valueOf', 'toString', 'hasOwnProperty', 'toLocaleString', 'isPrototypeOf', 'propertyIsEnumerable', '__defineGetter__', '__lookupSetter__', 'constructor', 'prototype'];

    it.each(NAMES)('refuses %s as U005 with its Path, wherever it is', async (name) => {
      const inData = await refusal({ Data: { Permissions: ['ReadBalances'], [name]: '999.00' }, Risk: {} });
      expect(inData.errors).toEqual([{ ErrorCode: 'U005', Message: `Data.${name} is not a field of this resource`, Path: `Data.${name}` }]);
      const inRisk = await refusal({ Data: { Permissions: ['ReadBalances'] }, Risk: { [name]: { Nested: 1 } } });
      expect(inRisk.errors).toEqual([{ ErrorCode: 'U005', Message: `Risk.${name} is not a field of this resource`, Path: `Risk.${name}` }]);
      const atRoot = await refusal({ Data: { Permissions: ['ReadBalances'] }, Risk: {}, [name]: 1 });
      expect(atRoot.errors).toEqual([{ ErrorCode: 'U005', Message: `${name} is not a field of this resource`, Path: name }]);
    });

    it('refuses them inside an array item and in a query, naming each', async () => {
      const item = await refusal({ Data: { Limits: [{ PeriodType: 'Day' }, { PeriodType: 'Day', hasOwnProperty: 1 }] } }, SampleControlsBody);
      expect(item.errors).toEqual([{ ErrorCode: 'U005', Message: 'Data.Limits[1].hasOwnProperty is not a field of this resource', Path: 'Data.Limits[1].hasOwnProperty' }]);
      const pipe = createValidationPipe();
      const query = await pipe.transform({ page: 'a', toString: 'x' }, { type: 'query', metatype: OptionalQuery }).catch((e: unknown) => e);
      expect(query).toBeInstanceOf(ObErrorException);
      expect((query as ObErrorException).errors).toEqual([{ ErrorCode: 'U005', Message: 'toString is not a field of this resource', Path: 'toString' }]);
    });

    it('leaves bodies read without a DTO as they came', async () => {
      const pipe = createValidationPipe();
      expect(await pipe.transform({ toString: 'x' }, { type: 'body', metatype: Object })).toEqual({ toString: 'x' });
    });
  });

  describe('an array of objects', () => {
    it.each<[string, unknown]>([
      ['an array', [{ PeriodType: 'Day' }]],
      ['an empty array', []],
      ['an array of arrays', [[]]],
      ['null', null],
      ['a string', 'Day'],
      ['a number', 7],
    ])('refuses an item that is %s with U002 and the item’s Path', async (_case, item) => {
      const error = await refusal({ Data: { Limits: [{ PeriodType: 'Day' }, item] } }, SampleControlsBody);
      expect(error.errors).toEqual([{ ErrorCode: 'U002', Message: 'Data.Limits[1] must be an object', Path: 'Data.Limits[1]' }]);
    });

    it('names the index of an item whose field is wrong, and accepts objects', async () => {
      const error = await refusal({ Data: { Limits: [{ PeriodType: 'Day' }, {}] } }, SampleControlsBody);
      expect(error.errors).toEqual([expect.objectContaining({ ErrorCode: 'U004', Path: 'Data.Limits[1].PeriodType' })]);
      const pipe = createValidationPipe();
      const out = await pipe.transform({ Data: { Limits: [{ PeriodType: 'Day' }] } }, { type: 'body', metatype: SampleControlsBody });
      expect(out).toBeInstanceOf(SampleControlsBody);
      expect((out as SampleControlsBody).Data.Limits[0]).toBeInstanceOf(SampleLimit);
    });

    it('says only that a single object given as an array must be an object', async () => {
      const error = await refusal({ Data: { Limits: [{ PeriodType: 'Day' }], Single: [null, {}] } }, SampleControlsBody);
      expect(error.errors).toEqual([{ ErrorCode: 'U002', Message: 'Data.Single must be an object', Path: 'Data.Single' }]);
    });
  });

  describe('a field with an empty or ambiguous name', () => {
    it('is named in brackets in the Path, under its parent or at the root', async () => {
      const nested = await refusal({ Data: { Permissions: ['ReadBalances'] }, Risk: { '': 1 } });
      expect(nested.errors).toEqual([{ ErrorCode: 'U005', Message: 'Risk[""] is not a field of this resource', Path: 'Risk[""]' }]);
      const atRoot = await refusal({ Data: { Permissions: ['ReadBalances'] }, Risk: {}, '': 1 });
      expect(atRoot.errors).toEqual([{ ErrorCode: 'U005', Message: '[""] is not a field of this resource', Path: '[""]' }]);
      const dotted = await refusal({ Data: { Permissions: ['ReadBalances'], 'a.b': 1 }, Risk: {} });
      expect(dotted.errors).toEqual([{ ErrorCode: 'U005', Message: 'Data["a.b"] is not a field of this resource', Path: 'Data["a.b"]' }]);
    });

    it('keeps the Path on the wire', () => {
      const body = buildObErrorResponse(400, 'x', [{ ErrorCode: 'U005', Message: '[""] is not a field of this resource', Path: '[""]' }], 'id-1');
      expect(body.Errors).toEqual([{ ErrorCode: 'U005', Message: '[""] is not a field of this resource', Path: '[""]' }]);
    });
  });

  it('reports a malformed date-time as U003', async () => {
    const error = await refusal({ Data: { Permissions: ['ReadBalances'], ExpirationDateTime: '2030-01-01T00:00:00' }, Risk: {} });
    expect(error.errors[0]).toMatchObject({ ErrorCode: 'U003', Path: 'Data.ExpirationDateTime' });
  });

  describe('text PostgreSQL cannot store', () => {
    const NUL = 'a\u0000b';
    const LONE_HIGH = '\ud800x';
    const LONE_LOW = 'x\udc00';

    it.each([
      ['U+0000', NUL],
      ['a high surrogate without its pair', LONE_HIGH],
      ['a low surrogate without its pair', LONE_LOW],
    ])('refuses %s in a string with U002 and the field’s Path, never echoing the value', async (_case, text) => {
      const error = await refusal({ Data: { Permissions: ['ReadBalances'], ExpirationDateTime: text }, Risk: {} });
      expect(error.status).toBe(400);
      expect(error.errors).toEqual([
        { ErrorCode: 'U002', Message: 'Data.ExpirationDateTime must not contain U+0000 or an unpaired surrogate', Path: 'Data.ExpirationDateTime' },
      ]);
    });

    it('reports an array item on the array, and every offending field once', async () => {
      const error = await refusal({ Data: { Permissions: [NUL, 'ReadBalances', LONE_HIGH] }, Risk: { Foo: NUL } });
      expect(error.errors.map((e) => [e.ErrorCode, e.Path])).toEqual([
        ['U002', 'Data.Permissions'],
        ['U002', 'Risk.Foo'],
      ]);
    });

    it('refuses a field name with such a character on the object that holds it, without echoing the name', async () => {
      const error = await refusal({ Data: { Permissions: ['ReadBalances'] }, Risk: { [`Merchant${NUL}`]: 'x' } });
      expect(error.errors).toEqual([{ ErrorCode: 'U002', Message: 'Risk has a field name with U+0000 or an unpaired surrogate', Path: 'Risk' }]);
      const atRoot = await refusal({ Data: { Permissions: ['ReadBalances'] }, Risk: {}, [LONE_HIGH]: 1 });
      expect(atRoot.errors).toEqual([{ ErrorCode: 'U002', Message: 'The request body has a field name with U+0000 or an unpaired surrogate' }]);
    });

    it('checks bodies read without a DTO too (customer and admin APIs), under the named property', async () => {
      const pipe = createValidationPipe();
      const untyped = await pipe.transform({ note: [{ text: NUL }] }, { type: 'body', metatype: Object }).catch((e: unknown) => e);
      expect(untyped).toBeInstanceOf(ObErrorException);
      expect((untyped as ObErrorException).errors).toEqual([expect.objectContaining({ ErrorCode: 'U002', Path: 'note[0].text' })]);
      const property = await pipe.transform({ text: NUL }, { type: 'body', metatype: Object, data: 'note' }).catch((e: unknown) => e);
      expect((property as ObErrorException).errors).toEqual([expect.objectContaining({ ErrorCode: 'U002', Path: 'note.text' })]);
    });

    it('accepts paired surrogates (emoji) and other control characters it can store', async () => {
      const pipe = createValidationPipe();
      const out = await pipe.transform({ Data: { Permissions: ['ReadBalances'] }, Risk: {} }, { type: 'body', metatype: SampleBody });
      expect(out).toBeInstanceOf(SampleBody);
      expect(await pipe.transform({ note: 'Rent 🏠\t\u0001' }, { type: 'body', metatype: Object })).toEqual({ note: 'Rent 🏠\t\u0001' });
    });

    it('refuses it in a path parameter and a query parameter too, naming the parameter', async () => {
      const pipe = createValidationPipe();
      for (const type of ['param', 'query'] as const) {
        const error = await pipe.transform(NUL, { type, metatype: String, data: 'AccountId' }).then(
          () => null,
          (refused: unknown) => refused,
        );
        expect(error).toBeInstanceOf(ObErrorException);
        expect((error as ObErrorException).errors).toEqual([{ ErrorCode: 'U002', Message: 'AccountId must not contain U+0000 or an unpaired surrogate', Path: 'AccountId' }]);
      }
      await expect(pipe.transform('acc-1', { type: 'param', metatype: String, data: 'AccountId' })).resolves.toBe('acc-1');
    });
  });

  it('reports a body that is not an object as U010', async () => {
    for (const body of [[], 'text', 42, null, undefined]) {
      const error = await refusal(body);
      expect(error.errors[0]?.ErrorCode).toBe('U010');
    }
  });
});

describe('isObDateTime', () => {
  it.each(['2030-01-01T00:00:00Z', '2030-01-01T10:43:07+00:00', '2030-12-31T23:59:59.123-05:30'])('accepts %s', (value) => {
    expect(isObDateTime(value)).toBe(true);
  });

  it.each(['2030-01-01', '2030-01-01T00:00:00', '2030-02-30T00:00:00Z', '2030-13-01T00:00:00Z', 'tomorrow', 20300101])('refuses %s', (value) => {
    expect(isObDateTime(value)).toBe(false);
  });

  // PostgreSQL's year 0 is 1 BC and toISOString writes years past 9999 as +010000: the instant itself,
  // in UTC, must fall in 0001-9999.
  it.each(['0001-01-01T00:00:00Z', '0001-01-01T05:00:00+05:00', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.9999999Z', '9999-12-31T23:59:59+01:00'])(
    'accepts %s, whose UTC instant is in years 0001-9999',
    (value) => {
      expect(isObDateTime(value)).toBe(true);
    },
  );

  it.each(['9999-12-31T23:59:59-23:59', '9999-12-31T23:00:00-01:00', '0001-01-01T00:00:00+00:01', '0000-06-01T00:00:00Z'])(
    'refuses %s, whose UTC instant is outside years 0001-9999',
    (value) => {
      expect(isObDateTime(value)).toBe(false);
    },
  );

  it('makes the pipe answer such a date-time U003 with its Path', async () => {
    const error = await refusal({ Data: { Permissions: ['ReadBalances'], ExpirationDateTime: '9999-12-31T23:59:59-23:59' }, Risk: {} });
    expect(error.errors).toEqual([
      { ErrorCode: 'U003', Message: 'Data.ExpirationDateTime must be an ISO 8601 date-time with a timezone', Path: 'Data.ExpirationDateTime' },
    ]);
  });
});

describe('buildObErrorResponse', () => {
  it('builds OBErrorResponse1 and clips long messages to 500 characters', () => {
    const body = buildObErrorResponse(400, 'x'.repeat(600), [{ ErrorCode: 'U002', Message: 'bad', Path: 'Data.Permissions' }], 'id-1');
    expect(body.Code).toBe('400 BadRequest');
    expect(body.Id).toBe('id-1');
    expect(body.Message).toHaveLength(500);
    expect(body.Errors).toEqual([{ ErrorCode: 'U002', Message: 'bad', Path: 'Data.Permissions' }]);
  });

  it('lists the first 20 errors of many, and says how many there were', () => {
    const errors = Array.from({ length: 20_000 }, (_, i) => ({ ErrorCode: 'U005', Message: `Risk.F${i} is not a field of this resource`, Path: `Risk.F${i}` }));
    const body = buildObErrorResponse(400, 'The request is not valid', errors, 'id-2');
    expect(body.Errors).toEqual(errors.slice(0, 20));
    expect(body.Message).toBe('The request is not valid (the first 20 of 20000 errors)');
    expect(buildObErrorResponse(400, 'The request is not valid', errors.slice(0, 20), 'id-3').Message).toBe('The request is not valid');
  });
});

describe('parseObQueryDateTime', () => {
  it('reads a date alone as midnight UTC', () => {
    expect(parseObQueryDateTime('2030-01-02')?.toISOString()).toBe('2030-01-02T00:00:00.000Z');
  });

  it('ignores the timezone, as the OB spec requires', () => {
    expect(parseObQueryDateTime('2030-01-02T10:30:00+05:00')?.toISOString()).toBe('2030-01-02T10:30:00.000Z');
  });

  it.each(['yesterday', '2030-02-30', '2030-01-02T25:00:00', 42])('refuses %s', (value) => {
    expect(parseObQueryDateTime(value)).toBeNull();
  });
});

describe('isObId', () => {
  it.each(['aac-6f1c2d7e-8a3b-4c5d-9e0f-112233445566', 'acc-1', 'no-such-account', '5f2a'])('accepts %s', (value) => {
    expect(isObId(value, 64)).toBe(true);
  });

  it.each(['', '../etc', 'a b', 'x'.repeat(41), '-leading', 'semi;colon', 42])('refuses %s', (value) => {
    expect(isObId(value)).toBe(false);
  });
});

describe('FAPI headers', () => {
  it('accepts an RFC 7231 date with GMT or UTC and refuses malformed or impossible ones', () => {
    expect(isFapiAuthDate('Sun, 10 Sep 2017 19:43:31 UTC')).toBe(true);
    expect(isFapiAuthDate('Sun, 10 Sep 2017 19:43:31 GMT')).toBe(true);
    expect(isFapiAuthDate('Mon, 10 Sep 2017 19:43:31 GMT')).toBe(false);
    expect(isFapiAuthDate('Fri, 31 Feb 2017 19:43:31 GMT')).toBe(false);
    expect(isFapiAuthDate('2017-09-10T19:43:31Z')).toBe(false);
  });

  it('accepts IPv4 and IPv6 customer addresses only', () => {
    expect(isCustomerIpAddress('203.0.113.7')).toBe(true);
    expect(isCustomerIpAddress('2001:db8::1')).toBe(true);
    expect(isCustomerIpAddress('203.0.113.300')).toBe(false);
    expect(isCustomerIpAddress('localhost')).toBe(false);
  });
});
