import { DENY_LIST_SCHEMES } from '@consentry/risk';
import { describe, expect, it } from 'vitest';

import { ACCOUNT_SCHEMES } from '../domestic-payments/domestic-payment.dto.js';

describe('the deny-list\'s schemes', () => {
  it('are the schemes a payee may be named in: a scheme the API takes can be listed, and no other', () => {
    expect([...DENY_LIST_SCHEMES].sort()).toEqual([...ACCOUNT_SCHEMES].sort());
  });
});
