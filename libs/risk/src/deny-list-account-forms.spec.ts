import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { creditorKey, loadDenyList, PaymentRiskEngine, PaymentRiskInput } from './payment-risk-engine.js';
import { RiskRulesError } from './risk-rules.js';
import { DENY_LIST_ONLY_RULES_FILE, loadRiskRules } from './risk-rules.js';

/** The sandbox's seeded mule (libs/sandbox SANDBOX_DENY_LISTED_CREDITOR), as the bank writes it in deny-list.json. */
const MULE = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '60000099999999' };

/** A UK IBAN for a sort code and account number (ISO 13616 check digits, mod 97). */
function ukIban(bankCode: string, sortCode: string, accountNumber: string): string {
  const bban = `${bankCode}${sortCode}${accountNumber}`;
  const numeric = `${bban}GB00`.replace(/[A-Z]/g, (letter) => String(letter.charCodeAt(0) - 55));
  const remainder = [...numeric].reduce((r, digit) => (r * 10 + Number(digit)) % 97, 0);
  return `GB${String(98 - remainder).padStart(2, '0')}${bban}`;
}

describe('deny-list: the same account in any form the API accepts is one account (until 7 December 2026 a dashed sort code or an IBAN was paid)', () => {
  let db: TestDatabase;
  let engine: PaymentRiskEngine;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase('deny_list_account_forms');
    const dir = mkdtempSync(join(tmpdir(), 'deny-list-forms-'));
    const file = join(dir, 'deny-list.json');
    writeFileSync(file, JSON.stringify([MULE]));
    engine = new PaymentRiskEngine(loadRiskRules(DENY_LIST_ONLY_RULES_FILE), loadDenyList(file));
  }, 60_000);
  afterAll(async () => db?.drop());

  function payment(creditor: { schemeName: string; identification: string }): PaymentRiskInput {
    n += 1;
    return {
      paymentId: `dp-forms-${n}`,
      paymentKind: 'domestic-payment',
      consentId: `pmc-forms-${n}`,
      clientId: 'tpp-forms',
      psuId: null,
      debtorAccountId: 'acc-forms',
      creditor,
      amount: '500.00',
      currency: 'GBP',
    };
  }

  it('rejects the listed form itself (control)', async () => {
    expect((await engine.assess(db.dataSource.manager, payment({ schemeName: MULE.SchemeName, identification: '600000 99999999' }))).decision).toBe('reject');
  });

  it.each([
    ['sort code written with dashes', '60-00-00-99999999'],
    ['sort code and account number split by a dash', '600000-99999999'],
    ['sort code with dashes, then a space', '60-00-00 99999999'],
  ])('rejects the mule when its %s (%s)', async (_form, identification) => {
    const { decision } = await engine.assess(db.dataSource.manager, payment({ schemeName: 'UK.OBIE.SortCodeAccountNumber', identification }));
    expect(decision).toBe('reject');
  });

  it('rejects the mule when paid by its IBAN (the same sort code and account number)', async () => {
    const iban = ukIban('NWBK', '600000', '99999999');
    const { decision } = await engine.assess(db.dataSource.manager, payment({ schemeName: 'UK.OBIE.IBAN', identification: iban }));
    expect(decision).toBe('reject');
  });

  it('rejects the mule when paid by its BBAN (bank code, sort code, account number)', async () => {
    const { decision } = await engine.assess(db.dataSource.manager, payment({ schemeName: 'UK.OBIE.BBAN', identification: 'NWBK60000099999999' }));
    expect(decision).toBe('reject');
  });
});

describe('deny-list file: an entry that could never match a payment is refused at start', () => {
  const load = (entries: unknown): Set<string> => {
    const file = join(mkdtempSync(join(tmpdir(), 'deny-list-file-')), 'deny-list.json');
    writeFileSync(file, JSON.stringify(entries));
    return loadDenyList(file, true);
  };

  it('refuses a scheme not named exactly, a sort code that is not 14 digits, an IBAN that fails its check, an empty identification, an unknown member', () => {
    // Until 7 December 2026 each was loaded and silently matched nothing: the mule stayed payable.
    for (const entry of [
      { SchemeName: 'SortCodeAccountNumber', Identification: '60000099999999' },
      { SchemeName: 'uk.obie.sortcodeaccountnumber', Identification: '60000099999999' },
      { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '6000009999999' },
      { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: 'sixty' },
      { SchemeName: 'UK.OBIE.IBAN', Identification: 'GB15NWBK6000009999999' },
      { SchemeName: 'UK.OBIE.IBAN', Identification: ukIban('NWBK', '600000', '99999999').replace(/^GB\d\d/, 'GB00') },
      { SchemeName: 'UK.OBIE.Paym', Identification: ' ' },
      { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '60000099999999', Foo: 1 },
    ]) {
      expect(() => load([MULE, entry]), JSON.stringify(entry)).toThrow(RiskRulesError);
      expect(() => load([MULE, entry])).toThrow(/\[1\]: /);
    }
  });

  it('takes the forms a bank writes: a sort code with separators, an IBAN with spaces, in any case', () => {
    expect(load([MULE, { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '60-00-00 99999999' }, { SchemeName: 'UK.OBIE.IBAN', Identification: ukIban('NWBK', '600000', '99999999').toLowerCase().replace(/(.{4})/g, '$1 ') }]).size).toBe(1);
  });

  it('keys a fullwidth digit as the digit, and never two sort codes of other scripts\' digits as one', () => {
    const key = (identification: string): string => creditorKey({ schemeName: 'UK.OBIE.SortCodeAccountNumber', identification });
    // Until 7 December 2026 a fullwidth digit was dropped, and every all-Arabic-Indic number keyed as none.
    expect(key('6000009999999\uFF19')).toBe(key('60000099999999'));
    expect(key('\u0666\u0660\u0660\u0660\u0660\u0660\u0669\u0669\u0669\u0669\u0669\u0669\u0669\u0669')).not.toBe(key('\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661'));
  });
});

describe('a rules file without a deny-list rule, where the deny-list is required (production)', () => {
  const files = (rules: string, entries: unknown[]): { rulesFile: string; denyListFile: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'deny-list-rules-'));
    writeFileSync(join(dir, 'rules.yaml'), rules);
    writeFileSync(join(dir, 'deny-list.json'), JSON.stringify(entries));
    return { rulesFile: join(dir, 'rules.yaml'), denyListFile: join(dir, 'deny-list.json') };
  };
  const mule = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '60000099999999' };
  const withoutDenyList = 'thresholds:\n  hold: 50\n  reject: 100\nrules:\n  - name: young-tpp\n    kind: new-tpp\n    weight: 10\n    action: score\n    params:\n      minDays: 30\n';

  it('is refused when the list names accounts: they would never be checked', () => {
    // Until 7 December 2026 the engine started and ignored the list.
    expect(() => PaymentRiskEngine.load({ ...files(withoutDenyList, [mule]), denyListRequired: true })).toThrow(/has no deny-list rule that holds or rejects a payment on its own: payments to the 1 accounts/);
    // A deny-list rule that only scores below the hold threshold stops nobody either.
    const scoringOnly = `${withoutDenyList}  - name: listed\n    kind: deny-list\n    weight: 10\n    action: score\n`;
    expect(() => PaymentRiskEngine.load({ ...files(scoringOnly, [mule]), denyListRequired: true })).toThrow(/has no deny-list rule that holds or rejects/);
    const scoringToHold = `${withoutDenyList}  - name: listed\n    kind: deny-list\n    weight: 50\n    action: score\n`;
    expect(PaymentRiskEngine.load({ ...files(scoringToHold, [mule]), denyListRequired: true })).toBeInstanceOf(PaymentRiskEngine);
  });

  it('is taken with an empty list, in the sandbox, or with a deny-list rule', () => {
    expect(PaymentRiskEngine.load({ ...files(withoutDenyList, []), denyListRequired: true })).toBeInstanceOf(PaymentRiskEngine);
    expect(PaymentRiskEngine.load({ ...files(withoutDenyList, [mule]), denyListRequired: false })).toBeInstanceOf(PaymentRiskEngine);
    const { denyListFile } = files(withoutDenyList, [mule]);
    expect(PaymentRiskEngine.load({ rulesFile: DENY_LIST_ONLY_RULES_FILE, denyListFile, denyListRequired: true })).toBeInstanceOf(PaymentRiskEngine);
  });
});
