import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  allowedFields,
  filterAccountByPermissions,
  filterBalanceByPermissions,
  filterByPermissions,
  filterTransactionByPermissions,
  PERMISSION_FIELDS,
  PermissionedResource,
} from './permission-rules.js';

const PERMISSIONS = [
  'ReadAccountsBasic',
  'ReadAccountsDetail',
  'ReadBalances',
  'ReadPAN',
  'ReadTransactionsBasic',
  'ReadTransactionsDetail',
  'ReadTransactionsCredits',
  'ReadTransactionsDebits',
  'ReadBeneficiariesBasic',
  'ReadBeneficiariesDetail',
  'ReadDirectDebits',
  'ReadOffers',
  'ReadParty',
  'ReadPartyPSU',
  'ReadProducts',
  'ReadScheduledPaymentsBasic',
  'ReadScheduledPaymentsDetail',
  'ReadStandingOrdersBasic',
  'ReadStandingOrdersDetail',
  'ReadStatementsBasic',
  'ReadStatementsDetail',
];

// Resources whose rules are only field lists (plus the creditor PAN), checked by one property.
const LISTED_RESOURCES: PermissionedResource[] = [
  'beneficiary',
  'directDebit',
  'standingOrder',
  'scheduledPayment',
  'statement',
  'party',
  'psuParty',
  'product',
  'offer',
];

// Every field any rule knows, plus a few no rule grants, so the filter sees unknown ones too.
const ACCOUNT_KEYS = [...new Set(Object.values(PERMISSION_FIELDS.account).flat()), 'Secret', 'InternalNote'];
const TRANSACTION_KEYS = [...new Set(Object.values(PERMISSION_FIELDS.transaction).flat()), 'HolderAddress'];
const BALANCE_KEYS = [...new Set(Object.values(PERMISSION_FIELDS.balance).flat()), 'Overdraft'];

const pan = fc.stringMatching(/^4\d{15}$/);
const permissionSet = fc.uniqueArray(fc.constantFrom(...PERMISSIONS));

function record(keys: string[], overrides: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(fc.subarray(keys), overrides)
    .map(([chosen, extra]) => ({ ...Object.fromEntries(chosen.map((k) => [k, `value-of-${k}`])), ...extra }));
}

const account = record(
  ACCOUNT_KEYS,
  fc.record({ AccountId: fc.uuid(), Account: fc.array(fc.record({ SchemeName: fc.constant('UK.OBIE.PAN'), Identification: pan }), { maxLength: 2 }) }),
);
const transaction = record(
  TRANSACTION_KEYS,
  fc.record({ CreditDebitIndicator: fc.constantFrom('Credit', 'Debit'), CardInstrument: fc.record({ CardSchemeName: fc.constant('VISA'), Identification: pan }) }),
);
const balance = record(BALANCE_KEYS, fc.record({ AccountId: fc.uuid() }));

function keysOf(value: Record<string, unknown> | null): string[] {
  return value === null ? [] : Object.keys(value);
}

describe('permission rules', () => {
  it('never lets an account field through that the permissions do not allow', () => {
    fc.assert(
      fc.property(account, permissionSet, (input, permissions) => {
        const out = filterAccountByPermissions(input, permissions);
        const allowed = allowedFields('account', permissions);
        for (const key of keysOf(out)) expect(allowed.has(key)).toBe(true);
        if (!permissions.includes('ReadAccountsDetail')) expect(out?.Account).toBeUndefined();
      }),
    );
  });

  it('shows a full PAN only under ReadPAN', () => {
    fc.assert(
      fc.property(account, permissionSet, (input, permissions) => {
        const out = filterAccountByPermissions(input, permissions);
        const entries = (out?.Account as Array<{ Identification: string }> | undefined) ?? [];
        for (const entry of entries) {
          if (permissions.includes('ReadPAN')) expect(entry.Identification).toMatch(/^\d{16}$/);
          else expect(entry.Identification).toMatch(/^\d{6}\*{6}\d{4}$/);
        }
      }),
    );
  });

  it('never lets a transaction field, direction or full card number through that the permissions do not allow', () => {
    fc.assert(
      fc.property(transaction, permissionSet, (input, permissions) => {
        const out = filterTransactionByPermissions(input, permissions);
        const allowed = allowedFields('transaction', permissions);
        for (const key of keysOf(out)) expect(allowed.has(key)).toBe(true);
        if (out !== null) {
          const direction = input.CreditDebitIndicator === 'Credit' ? 'ReadTransactionsCredits' : 'ReadTransactionsDebits';
          expect(permissions).toContain(direction);
          if (!permissions.includes('ReadTransactionsDetail')) expect(out.TransactionInformation).toBeUndefined();
          const card = out.CardInstrument as { Identification: string } | undefined;
          if (card && !permissions.includes('ReadPAN')) expect(card.Identification).toMatch(/^\d{6}\*{6}\d{4}$/);
        }
      }),
    );
  });

  it('masks a card number on a copy: the input transaction is left as it was', () => {
    const card = { Identification: '4000123412341234', Name: 'J Smith' };
    const input = { TransactionId: 't1', CreditDebitIndicator: 'Debit', CardInstrument: card };
    const out = filterTransactionByPermissions(input, ['ReadTransactionsDetail', 'ReadTransactionsDebits']);
    expect((out!.CardInstrument as { Identification: string }).Identification).toBe('400012******1234');
    expect(input.CardInstrument).toBe(card);
    expect(card.Identification).toBe('4000123412341234');
  });

  it('never lets a balance through without ReadBalances, nor an unknown balance field', () => {
    fc.assert(
      fc.property(balance, permissionSet, (input, permissions) => {
        const out = filterBalanceByPermissions(input, permissions);
        if (!permissions.includes('ReadBalances')) expect(out).toBeNull();
        const allowed = allowedFields('balance', permissions);
        for (const key of keysOf(out)) expect(allowed.has(key)).toBe(true);
      }),
    );
  });

  it('never lets a field of any other resource through that the permissions do not allow, nor a full creditor card number', () => {
    const listed = fc.constantFrom(...LISTED_RESOURCES).chain((resource) => {
      const keys = [...new Set(Object.values(PERMISSION_FIELDS[resource]).flat()), 'InternalRiskScore', 'PsuPassword'];
      const creditor = fc.record({ SchemeName: fc.constantFrom('UK.OBIE.PAN', 'UK.OBIE.SortCodeAccountNumber'), Identification: pan });
      return fc.tuple(fc.constant(resource), record(keys, fc.record({ AccountId: fc.uuid(), CreditorAccount: creditor })));
    });
    fc.assert(
      fc.property(listed, permissionSet, ([resource, input], permissions) => {
        const out = filterByPermissions(resource, input, permissions);
        const allowed = allowedFields(resource, permissions);
        if (allowed.size === 0) expect(out).toBeNull();
        for (const key of keysOf(out)) expect(allowed.has(key)).toBe(true);
        const creditor = out?.CreditorAccount as { SchemeName: string; Identification: string } | undefined;
        if (creditor?.SchemeName === 'UK.OBIE.PAN' && !permissions.includes('ReadPAN')) expect(creditor.Identification).toMatch(/^\d{6}\*{6}\d{4}$/);
        const detailOnly = ['CreditorAccount', 'CreditorAgent', 'StatementAmount'];
        const details = ['ReadBeneficiariesDetail', 'ReadStandingOrdersDetail', 'ReadScheduledPaymentsDetail', 'ReadStatementsDetail'];
        if (!permissions.some((p) => details.includes(p))) for (const key of detailOnly) expect(out?.[key]).toBeUndefined();
      }),
    );
  });

  it('keeps the account identification under ReadAccountsDetail and drops it under ReadAccountsBasic', () => {
    const input = { AccountId: 'a1', Nickname: 'Main', Account: [{ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678' }] };
    expect(filterAccountByPermissions(input, ['ReadAccountsBasic'])).toEqual({ AccountId: 'a1', Nickname: 'Main' });
    expect(filterAccountByPermissions(input, ['ReadAccountsDetail'])).toEqual(input);
  });
});
