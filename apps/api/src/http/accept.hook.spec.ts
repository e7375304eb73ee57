import { describe, expect, it } from 'vitest';

import { acceptsJson } from './accept.hook.js';

describe('acceptsJson', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/json, text/plain;q=0.5',
    '*/*',
    'application/*',
    'text/html, */*;q=0.1',
    '*/*;q=0, application/json',
    'application/json;q=0, application/json;charset=utf-8',
    'application/json;q=1.000',
    ' application/json ; q = 0.5 ',
  ])('admits %s', (accept) => {
    expect(acceptsJson(accept)).toBe(true);
  });

  it.each([
    'application/xml',
    'text/html, application/xhtml+xml',
    'application/json;q=0, */*',
    'application/json;q=0.0, application/*',
    'application/*;q=0, */*',
    '*/*;q=0',
    'text/*, image/*',
    'application/jsonx',
    'application/json+jwe',
    // A weight outside the grammar leaves its range out.
    'application/json;q=2',
    'application/json;q=yes',
    ',',
  ])('refuses %s', (accept) => {
    expect(acceptsJson(accept)).toBe(false);
  });
});
