import { describe, expect, it } from 'vitest';

import { formatAmount } from './sandbox-ledger.connector.js';

describe('formatAmount', () => {
  it.each([
    ['12.50000', '12.50'],
    ['1200.00000', '1200.00'],
    ['0.12345', '0.12345'],
    ['-3.10000', '3.10'],
    ['7', '7.00'],
    ['-7.5', '7.50'],
    ['100.10', '100.10'],
    ['0.00000', '0.00'],
  ])('formats %s as %s', (input, output) => expect(formatAmount(input)).toBe(output));
});
