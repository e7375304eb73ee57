import { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';

import { singleHeader } from './single-header.js';

/** A request as Node parses these raw lines: custom headers joined with ", ", a repeated Authorization dropped. */
function requestOf(rawHeaders: string[]): FastifyRequest {
  const headers: Record<string, string> = {};
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!.toLowerCase();
    const value = rawHeaders[index + 1]!;
    if (headers[name] === undefined) headers[name] = value;
    else if (name !== 'authorization') headers[name] = `${headers[name]}, ${value}`;
  }
  return { headers, raw: { rawHeaders } } as unknown as FastifyRequest;
}

const repeated = () => new Error('repeated');

describe('singleHeader', () => {
  it('reads a header sent once, and undefined for one not sent', () => {
    const request = requestOf(['Host', 'x', 'X-Idempotency-Key', 'key-one']);
    expect(singleHeader(request, 'x-idempotency-key', repeated)).toBe('key-one');
    expect(singleHeader(request, 'dpop', repeated)).toBeUndefined();
  });

  it('keeps a single value that itself holds ", "', () => {
    expect(singleHeader(requestOf(['x-fapi-auth-date', 'Sun, 10 Sep 2017 19:43:31 GMT']), 'x-fapi-auth-date', repeated)).toBe('Sun, 10 Sep 2017 19:43:31 GMT');
  });

  it.each([
    [['x-idempotency-key', 'key-one', 'x-idempotency-key', 'key-two'], 'x-idempotency-key'],
    [['x-idempotency-key', 'same', 'X-IDEMPOTENCY-KEY', 'same'], 'x-idempotency-key'],
    [['x-idempotency-key', 'key-one', 'x-idempotency-key', ''], 'x-idempotency-key'],
    [['Authorization', 'DPoP a', 'authorization', 'DPoP b'], 'authorization'],
  ])('throws the caller\'s error for %j', (rawHeaders, name) => {
    expect(() => singleHeader(requestOf(rawHeaders), name, repeated)).toThrow('repeated');
  });
});
