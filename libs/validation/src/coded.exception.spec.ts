import { describe, expect, it } from 'vitest';

import { CodedException, unreachable } from './coded.exception.js';

enum ParcelExceptionCode {
  Lost = 'Lost',
  Late = 'Late',
}

class ParcelException extends CodedException<ParcelExceptionCode> {}

function statusOf(exception: ParcelException): number {
  switch (exception.code) {
    case ParcelExceptionCode.Lost:
      return 404;
    case ParcelExceptionCode.Late:
      return 409;
    default:
      return unreachable(exception.code);
  }
}

describe('CodedException', () => {
  it('carries its code and message, named after the feature exception', () => {
    const exception = new ParcelException(ParcelExceptionCode.Late, 'The parcel is late');
    expect(exception).toBeInstanceOf(Error);
    expect(exception).toMatchObject({ name: 'ParcelException', code: 'Late', message: 'The parcel is late' });
    expect(statusOf(exception)).toBe(409);
  });

  it('fails loudly when a code reaches the end of a switch at run time', () => {
    expect(() => statusOf(new ParcelException('Stolen' as ParcelExceptionCode, 'x'))).toThrow('unhandled code Stolen');
  });
});
