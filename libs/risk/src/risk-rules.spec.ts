import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadDenyList } from './payment-risk-engine.js';
import { loadRiskRules, parseRiskRules, RiskRulesError } from './risk-rules.js';

function errorsOf(text: string): string[] {
  try {
    parseRiskRules(text, 'test.yaml');
  } catch (error) {
    if (error instanceof RiskRulesError) return error.errors;
    throw error;
  }
  throw new Error('the rules were accepted');
}

describe('risk rules file', () => {
  it('loads the sandbox default: deny-list rejects, new payee and velocity hold', () => {
    const rules = loadRiskRules();
    expect(rules.thresholds).toEqual({ hold: 50, reject: 100 });
    expect(rules.rules).toEqual([
      { kind: 'deny-list', name: 'deny-listed-creditor', weight: 100, action: 'reject' },
      { kind: 'new-payee', minAmount: '1000.00', knownAfterHours: 24, name: 'large-payment-to-new-payee', weight: 50, action: 'hold' },
      { kind: 'velocity', per: 'debtor-account', windowMinutes: 10, maxCount: 5, name: 'account-payment-burst', weight: 50, action: 'hold' },
    ]);
  });

  it('counts a payee as known a day after its first payment unless the file says otherwise, from 0 hours to a leap year', () => {
    const newPayee = (params: string) =>
      parseRiskRules(`
thresholds: { hold: 50, reject: 100 }
rules:
  - { name: new-payee, kind: new-payee, params: ${params}, weight: 50, action: hold }
`).rules[0];
    expect(newPayee(`{ minAmount: "500.00" }`)).toMatchObject({ minAmount: '500.00', knownAfterHours: 24 });
    expect(newPayee(`{ minAmount: "500.00", knownAfterHours: 0 }`)).toMatchObject({ knownAfterHours: 0 });
    expect(newPayee(`{ minAmount: "500.00", knownAfterHours: 8784 }`)).toMatchObject({ knownAfterHours: 8784 });
    for (const bad of ['-1', '8785', '1.5', '"24"', 'null']) {
      expect(errorsOf(`
thresholds: { hold: 50, reject: 100 }
rules:
  - { name: new-payee, kind: new-payee, params: { minAmount: "500.00", knownAfterHours: ${bad} }, weight: 50, action: hold }
`)).toEqual(['rules[0].params.knownAfterHours: must be an integer from 0 to 8784']);
    }
  });

  it('reports every error on its own line, naming where it is', () => {
    const errors = errorsOf(`
thresholds: { hold: 0, reject: 100, extra: 1 }
rules:
  - name: Bad Name
    kind: new-payee
    params: { minAmount: 1000 }
    weight: -1
    action: block
  - name: burst
    kind: velocity
    params: { per: psu, windowMinutes: 0, expression: "count > 5" }
    weight: 10
    action: hold
  - name: burst
    kind: teleport
    weight: 1
    action: score
`);
    expect(errors).toEqual([
      'thresholds.extra: unknown key (expected hold, reject)',
      'thresholds.hold: must be an integer from 1 to 1000000',
      'rules[0].name: must be lower-case letters, digits and dashes (at most 63)',
      'rules[0].weight: must be an integer from 0 to 1000000',
      'rules[0].action: must be one of reject, hold, score',
      'rules[0].params.minAmount: must be a decimal amount as a string, e.g. "1000.00"',
      'rules[1].params.expression: unknown parameter of velocity (expected per, windowMinutes, maxCount, maxAmount)',
      'rules[1].params.per: must be debtor-account or tpp',
      'rules[1].params.windowMinutes: must be an integer from 1 to 44640',
      'rules[1].params: velocity needs maxCount, maxAmount or both',
      'rules[2].name: "burst" is used by an earlier rule',
      'rules[2].kind: must be one of deny-list, new-payee, velocity, new-tpp, amount-multiple, unusual-hour, failed-sign-ins, lockout-today',
    ]);
  });

  it('reads the history kinds with their parameters', () => {
    const rules = parseRiskRules(`
thresholds: { hold: 50, reject: 100 }
rules:
  - { name: triple-usual, kind: amount-multiple, params: { multiple: 2.5, minHistory: 5 }, weight: 30, action: score }
  - { name: odd-hour, kind: unusual-hour, params: { minHistory: 20, maxShare: 0.02 }, weight: 20, action: score }
  - { name: sign-in-burst, kind: failed-sign-ins, params: { windowMinutes: 30, minCount: 3 }, weight: 30, action: score }
  - { name: locked-today, kind: lockout-today, weight: 40, action: score }
`);
    expect(rules.rules).toEqual([
      { kind: 'amount-multiple', multiple: 2.5, minHistory: 5, name: 'triple-usual', weight: 30, action: 'score' },
      { kind: 'unusual-hour', minHistory: 20, maxShare: 0.02, name: 'odd-hour', weight: 20, action: 'score' },
      { kind: 'failed-sign-ins', windowMinutes: 30, minCount: 3, name: 'sign-in-burst', weight: 30, action: 'score' },
      { kind: 'lockout-today', name: 'locked-today', weight: 40, action: 'score' },
    ]);
  });

  it('reports each bad parameter of the history kinds on its own line', () => {
    const errors = errorsOf(`
thresholds: { hold: 50, reject: 100 }
rules:
  - { name: a, kind: amount-multiple, params: { multiple: 1, minHistory: 0 }, weight: 1, action: score }
  - { name: b, kind: amount-multiple, params: { multiple: "3" }, weight: 1, action: score }
  - { name: c, kind: unusual-hour, params: { minHistory: 2.5, maxShare: 1, hours: [3] }, weight: 1, action: score }
  - { name: d, kind: failed-sign-ins, params: { windowMinutes: 1441, minCount: 0 }, weight: 1, action: score }
  - { name: e, kind: lockout-today, params: { days: 1 }, weight: 1, action: score }
`);
    expect(errors).toEqual([
      'rules[0].params.multiple: must be a number greater than 1 and at most 1000',
      'rules[0].params.minHistory: must be an integer from 1 to 1000000',
      'rules[1].params.multiple: must be a number greater than 1 and at most 1000',
      'rules[1].params.minHistory: must be an integer from 1 to 1000000',
      'rules[2].params.hours: unknown parameter of unusual-hour (expected minHistory, maxShare)',
      'rules[2].params.minHistory: must be an integer from 1 to 1000000',
      'rules[2].params.maxShare: must be a number greater than 0 and less than 1',
      'rules[3].params.windowMinutes: must be an integer from 1 to 1440',
      'rules[3].params.minCount: must be an integer from 1 to 1000',
      'rules[4].params.days: unknown parameter of lockout-today (it takes none)',
    ]);
  });

  it('refuses a YAML syntax error with its line, and custom tags (nothing is evaluated)', () => {
    expect(errorsOf('thresholds: { hold: 1\nrules: [')[0]).toMatch(/^\(yaml\) line \d+: /);
    expect(errorsOf('thresholds: !!js/function "function () {}"\nrules: []')[0]).toMatch(/^\(yaml\) line 1: unknown tag/);
  });

  it('refuses a missing file and a top level that is not a mapping', () => {
    expect(() => loadRiskRules('/nonexistent/rules.yaml')).toThrow(/\(file\) cannot be read: ENOENT/);
    expect(errorsOf('- 1')).toEqual(['(top): must be a mapping with `thresholds` and `rules`']);
    expect(errorsOf('thresholds: { hold: 60, reject: 50 }\nrules: []')).toEqual(['thresholds.reject: must be at least thresholds.hold']);
  });

  it('reads the deny-list, keyed without spaces; refuses a malformed one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deny-list-'));
    writeFileSync(join(dir, 'ok.json'), JSON.stringify([{ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40 00 00 12345678' }]));
    expect([...loadDenyList(join(dir, 'ok.json'))]).toEqual(['UK.OBIE.SortCodeAccountNumber:40000012345678']);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([{ SchemeName: 'x' }]));
    expect(() => loadDenyList(join(dir, 'bad.json'))).toThrow(/\[0\]: must be \{ "SchemeName"/);
    expect(loadDenyList(join(dir, 'missing.json')).size).toBe(0);
    // Where it is required (production), a missing deny-list stops the start instead of reading as empty.
    expect(() => loadDenyList(join(dir, 'missing.json'), true)).toThrow(/\(deny-list\) does not exist/);
  });
});
