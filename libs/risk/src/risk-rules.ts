import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import yaml from 'js-yaml';

/** What a rule asks for when it fires; `score` only adds its weight. */
export type RiskAction = 'reject' | 'hold' | 'score';
export type RiskDecision = 'allow' | 'hold' | 'reject';

export interface DenyListRule {
  kind: 'deny-list';
}
export interface NewPayeeRule {
  kind: 'new-payee';
  /** A payment of at least this amount (decimal text) to a payee the debtor account has not yet paid long enough ago. */
  minAmount: string;
  /**
   * How long after the account's first payment to a payee that payee counts as known (hours; 24 unless
   * the file says otherwise): until then a payment to it is a new payee's, so a penny sent first does not
   * open the way for a large one the same day. 0 makes a payee known once paid.
   */
  knownAfterHours: number;
}

/** `new-payee`'s `knownAfterHours` when a rules file gives none. */
export const DEFAULT_PAYEE_KNOWN_AFTER_HOURS = 24;
export interface VelocityRule {
  kind: 'velocity';
  /** Count per debtor account, or per TPP (client id). */
  per: 'debtor-account' | 'tpp';
  windowMinutes: number;
  /** Fires when the payments in the window, in any currency, this one included, are more than this. */
  maxCount?: number;
  /** Fires when the amounts in the window in this payment's currency, this one included, add up to more than this. */
  maxAmount?: string;
}
export interface NewTppRule {
  kind: 'new-tpp';
  /** Fires while the TPP was registered fewer than this many days ago. */
  minDays: number;
}
export interface AmountMultipleRule {
  kind: 'amount-multiple';
  /** Fires when the amount is at least this many times the debtor account's mean paid amount. */
  multiple: number;
  /** Payments the account must have paid before the rule can fire. */
  minHistory: number;
}
export interface UnusualHourRule {
  kind: 'unusual-hour';
  /** Payments the PSU must have paid before the rule can fire. */
  minHistory: number;
  /** Fires when fewer than this share (0-1) of the PSU's paid payments fell in this London hour. */
  maxShare: number;
}
export interface FailedSignInsRule {
  kind: 'failed-sign-ins';
  /** How far back from the payment failed sign-ins count (at most a day: failures are kept two). */
  windowMinutes: number;
  /** Fires from this many failed sign-ins of the PSU in the window. */
  minCount: number;
}
export interface LockoutTodayRule {
  kind: 'lockout-today';
}
export type RiskRuleKind =
  | DenyListRule
  | NewPayeeRule
  | VelocityRule
  | NewTppRule
  | AmountMultipleRule
  | UnusualHourRule
  | FailedSignInsRule
  | LockoutTodayRule;

export type RiskRule = RiskRuleKind & { name: string; weight: number; action: RiskAction };

/** A validated rules file. */
export interface RiskRuleSet {
  /** Score thresholds: the fired rules' weights, summed, at or above `hold` hold, at or above `reject` reject. */
  thresholds: { hold: number; reject: number };
  rules: RiskRule[];
}

/** The rules file failed validation: one line per error, each naming where in the file. */
export class RiskRulesError extends Error {
  constructor(
    readonly file: string,
    readonly errors: string[],
  ) {
    super(`${file}: invalid risk rules\n${errors.map((e) => `  ${e}`).join('\n')}`);
    this.name = 'RiskRulesError';
  }
}

/** The sandbox rules shipped with the repository (RISK_RULES_FILE's default). */
export const SANDBOX_RULES_FILE = fileURLToPath(new URL('../rules/sandbox.yaml', import.meta.url));
/** Rules with the deny-list alone: what test suites that are not about monitoring run under. */
export const DENY_LIST_ONLY_RULES_FILE = fileURLToPath(new URL('../rules/deny-list-only.yaml', import.meta.url));

const KINDS = ['deny-list', 'new-payee', 'velocity', 'new-tpp', 'amount-multiple', 'unusual-hour', 'failed-sign-ins', 'lockout-today'] as const;
const ACTIONS: readonly RiskAction[] = ['reject', 'hold', 'score'];
const AMOUNT = /^\d{1,13}(\.\d{1,5})?$/;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function positiveInteger(value: unknown, max: number): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max;
}

/** An integer from 1 to `max`, or one error line naming it. */
function countParam(params: Plain, key: string, max: number, at: string, errors: string[]): number {
  const value = params[key];
  if (positiveInteger(value, max) && value > 0) return value;
  errors.push(`${at}.${key}: must be an integer from 1 to ${max}`);
  return 0;
}

/** A number strictly between `min` and `max` (or up to `max` inclusive), or one error line naming it. */
function numberParam(params: Plain, key: string, range: { above: number; max: number; maxIncluded: boolean }, at: string, errors: string[]): number {
  const value = params[key];
  if (typeof value === 'number' && Number.isFinite(value) && value > range.above && (range.maxIncluded ? value <= range.max : value < range.max)) return value;
  errors.push(`${at}.${key}: must be a number greater than ${range.above} and ${range.maxIncluded ? 'at most' : 'less than'} ${range.max}`);
  return 0;
}

/** Validates a parsed rules document; every error is one line, with its path (`rules[2].params.minAmount: ...`). */
export function validateRiskRules(document: unknown, file = 'rules'): RiskRuleSet {
  const errors: string[] = [];
  if (!isPlain(document)) throw new RiskRulesError(file, ['(top): must be a mapping with `thresholds` and `rules`']);
  for (const key of Object.keys(document)) if (key !== 'thresholds' && key !== 'rules') errors.push(`${key}: unknown key (expected thresholds, rules)`);
  const thresholds = document.thresholds;
  let hold = 0;
  let reject = 0;
  if (!isPlain(thresholds)) errors.push('thresholds: must be a mapping { hold: <integer>, reject: <integer> }');
  else {
    for (const key of Object.keys(thresholds)) if (key !== 'hold' && key !== 'reject') errors.push(`thresholds.${key}: unknown key (expected hold, reject)`);
    if (!positiveInteger(thresholds.hold, 1_000_000) || thresholds.hold === 0) errors.push('thresholds.hold: must be an integer from 1 to 1000000');
    else hold = thresholds.hold;
    if (!positiveInteger(thresholds.reject, 1_000_000) || thresholds.reject === 0) errors.push('thresholds.reject: must be an integer from 1 to 1000000');
    else reject = thresholds.reject;
    if (hold && reject && reject < hold) errors.push('thresholds.reject: must be at least thresholds.hold');
  }
  const rules: RiskRule[] = [];
  if (!Array.isArray(document.rules)) errors.push('rules: must be a list of rules');
  else {
    const names = new Set<string>();
    document.rules.forEach((entry: unknown, index: number) => {
      const at = `rules[${index}]`;
      if (!isPlain(entry)) {
        errors.push(`${at}: must be a mapping with name, kind, params, weight, action`);
        return;
      }
      const before = errors.length;
      for (const key of Object.keys(entry)) if (!['name', 'kind', 'params', 'weight', 'action'].includes(key)) errors.push(`${at}.${key}: unknown key (expected name, kind, params, weight, action)`);
      const { name, kind, weight, action } = entry;
      if (typeof name !== 'string' || !NAME.test(name)) errors.push(`${at}.name: must be lower-case letters, digits and dashes (at most 63)`);
      else if (names.has(name)) errors.push(`${at}.name: "${name}" is used by an earlier rule`);
      else names.add(name);
      if (!positiveInteger(weight, 1_000_000)) errors.push(`${at}.weight: must be an integer from 0 to 1000000`);
      if (typeof action !== 'string' || !ACTIONS.includes(action as RiskAction)) errors.push(`${at}.action: must be one of ${ACTIONS.join(', ')}`);
      const params = entry.params ?? {};
      let parsed: RiskRuleKind | undefined;
      if (!isPlain(params)) errors.push(`${at}.params: must be a mapping`);
      else if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) errors.push(`${at}.kind: must be one of ${KINDS.join(', ')}`);
      else parsed = validateParams(kind as RiskRuleKind['kind'], params, `${at}.params`, errors);
      if (errors.length === before && parsed) rules.push({ ...parsed, name: name as string, weight: weight as number, action: action as RiskAction });
    });
  }
  if (errors.length > 0) throw new RiskRulesError(file, errors);
  return { thresholds: { hold, reject }, rules };
}

function validateParams(kind: RiskRuleKind['kind'], params: Plain, at: string, errors: string[]): RiskRuleKind | undefined {
  const allowed: Record<RiskRuleKind['kind'], string[]> = {
    'deny-list': [],
    'new-payee': ['minAmount', 'knownAfterHours'],
    velocity: ['per', 'windowMinutes', 'maxCount', 'maxAmount'],
    'new-tpp': ['minDays'],
    'amount-multiple': ['multiple', 'minHistory'],
    'unusual-hour': ['minHistory', 'maxShare'],
    'failed-sign-ins': ['windowMinutes', 'minCount'],
    'lockout-today': [],
  };
  for (const key of Object.keys(params)) {
    if (!allowed[kind].includes(key)) errors.push(`${at}.${key}: unknown parameter of ${kind}${allowed[kind].length ? ` (expected ${allowed[kind].join(', ')})` : ' (it takes none)'}`);
  }
  switch (kind) {
    case 'deny-list':
      return { kind };
    case 'new-payee': {
      const { minAmount, knownAfterHours = DEFAULT_PAYEE_KNOWN_AFTER_HOURS } = params;
      const before = errors.length;
      if (typeof minAmount !== 'string' || !AMOUNT.test(minAmount)) errors.push(`${at}.minAmount: must be a decimal amount as a string, e.g. "1000.00"`);
      // At most a leap year of hours.
      if (!positiveInteger(knownAfterHours, 366 * 24)) errors.push(`${at}.knownAfterHours: must be an integer from 0 to 8784`);
      if (errors.length > before) return undefined;
      return { kind, minAmount: minAmount as string, knownAfterHours: knownAfterHours as number };
    }
    case 'velocity': {
      const { per, windowMinutes, maxCount, maxAmount } = params;
      if (per !== 'debtor-account' && per !== 'tpp') errors.push(`${at}.per: must be debtor-account or tpp`);
      if (!positiveInteger(windowMinutes, 31 * 24 * 60) || windowMinutes === 0) errors.push(`${at}.windowMinutes: must be an integer from 1 to 44640`);
      if (maxCount !== undefined && !positiveInteger(maxCount, 1_000_000)) errors.push(`${at}.maxCount: must be an integer from 0 to 1000000`);
      if (maxAmount !== undefined && (typeof maxAmount !== 'string' || !AMOUNT.test(maxAmount))) errors.push(`${at}.maxAmount: must be a decimal amount as a string, e.g. "5000.00"`);
      if (maxCount === undefined && maxAmount === undefined) errors.push(`${at}: velocity needs maxCount, maxAmount or both`);
      return {
        kind,
        per: per as VelocityRule['per'],
        windowMinutes: windowMinutes as number,
        ...(maxCount !== undefined ? { maxCount: maxCount as number } : {}),
        ...(maxAmount !== undefined ? { maxAmount: maxAmount as string } : {}),
      };
    }
    case 'new-tpp': {
      if (!positiveInteger(params.minDays, 3650) || params.minDays === 0) {
        errors.push(`${at}.minDays: must be an integer from 1 to 3650`);
        return undefined;
      }
      return { kind, minDays: params.minDays };
    }
    case 'amount-multiple':
      return { kind, multiple: numberParam(params, 'multiple', { above: 1, max: 1000, maxIncluded: true }, at, errors), minHistory: countParam(params, 'minHistory', 1_000_000, at, errors) };
    case 'unusual-hour':
      return { kind, minHistory: countParam(params, 'minHistory', 1_000_000, at, errors), maxShare: numberParam(params, 'maxShare', { above: 0, max: 1, maxIncluded: false }, at, errors) };
    case 'failed-sign-ins':
      // Failed sign-ins are kept two days (libs/identity): a window of at most one day always sees them all.
      return { kind, windowMinutes: countParam(params, 'windowMinutes', 1440, at, errors), minCount: countParam(params, 'minCount', 1000, at, errors) };
    case 'lockout-today':
      return { kind };
    default: {
      const unhandled: never = kind;
      throw new Error(`unknown rule kind ${String(unhandled)}`);
    }
  }
}

/** Parses YAML text into a validated rule set; YAML syntax errors are one line too. */
export function parseRiskRules(text: string, file = 'rules'): RiskRuleSet {
  let document: unknown;
  try {
    // The JSON schema: plain data only, no custom tags (nothing in the file is ever evaluated).
    document = yaml.load(text, { schema: yaml.JSON_SCHEMA, filename: file });
  } catch (error) {
    const reason = error instanceof yaml.YAMLException ? `line ${(error.mark?.line ?? 0) + 1}: ${error.reason}` : String(error);
    throw new RiskRulesError(file, [`(yaml) ${reason}`]);
  }
  return validateRiskRules(document, file);
}

/** Reads and validates a rules file (RISK_RULES_FILE, or the sandbox default). */
export function loadRiskRules(file: string = SANDBOX_RULES_FILE): RiskRuleSet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RiskRulesError(file, [`(file) cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  return parseRiskRules(text, file);
}
