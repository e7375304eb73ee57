import { existsSync, readFileSync } from 'node:fs';

import { type AuditEventInput, auditOutboxInsertSql, prepareAuditEvents } from '@consentry/audit';
import { EntityManager, queryPreparedIn, shiftParameters, type WritePart } from '@consentry/database';
import { accountIdentificationProblem } from '@consentry/validation';

import { amountMultipleFires, failedSignInsFires, HistoryValues, lockoutTodayFires, paidPaymentHistoryWrites, unusualHourFires } from './payment-history.js';
import { loadRiskRules, RiskDecision, RiskRule, RiskRuleSet, RiskRulesError, SANDBOX_RULES_FILE } from './risk-rules.js';
import { StatementParameters } from './statement-parameters.js';
import { ACCOUNT_TOTALS, runningTotalAddSql, TPP_TOTALS, windowTotalsSql } from './running-totals.js';

export type PaymentKind = 'domestic-payment' | 'domestic-scheduled-payment' | 'domestic-standing-order' | 'domestic-vrp';

/** What the engine scores: one payment about to be executed. */
export interface PaymentRiskInput {
  paymentId: string;
  paymentKind: PaymentKind;
  consentId: string;
  clientId: string;
  psuId: string | null;
  debtorAccountId: string;
  creditor: { schemeName: string; identification: string };
  amount: string;
  currency: string;
  interactionId?: string;
  /** When it is scored: now, or the worker's clock for a scheduled run. */
  at?: Date;
}

export interface FiredRule {
  name: string;
  kind: string;
  score: number;
}

export interface RiskAssessment {
  decision: RiskDecision;
  score: number;
  rules: FiredRule[];
}

/** Told of each decision: how long it took in seconds, and what it was. */
export type DecisionListener = (seconds: number, decision: RiskDecision) => void;

/** The StatusReasonDescription of a held payment: the same for every rule (no tipping-off). */
export const HELD_STATUS_DESCRIPTION = 'The payment is pending further processing';
/** The StatusReason of a payment the risk engine rejected: ISO 20022 FR01 (fraud). */
export const RISK_REJECTED_REASON = 'FR01';
export const RISK_REJECTED_DESCRIPTION = 'The payment was rejected';

const SORT_CODE_ACCOUNT = 'UK.OBIE.SortCodeAccountNumber';
// A UK IBAN (GB, check digits, bank code, sort code, account number) and a UK BBAN (bank code, sort code,
// account number) name a sort code and account number.
const UK_IBAN = /^GB\d{2}[A-Z]{4}(\d{14})$/;
const UK_BBAN = /^[A-Z]{4}(\d{14})$/;

/**
 * How a creditor account is keyed in the deny-list and the payee history, one account one key whatever form
 * the TPP wrote it in: a sort code and account number as its 14 digits alone (`60-00-00 99999999`), and a UK
 * IBAN or BBAN as the sort code and account number it holds; any other scheme, its identification without
 * spaces or dashes, upper-case. Until 7 December 2026 only spaces were removed, so a deny-listed account
 * written with dashes, or as its IBAN, was paid.
 */
export function creditorKey(creditor: { schemeName: string; identification: string }): string {
  // NFKC first: a fullwidth or otherwise compatible digit is the digit (until 7 December 2026 a deny-listed
  // account written with one fullwidth digit was another payee).
  const compact = creditor.identification.normalize('NFKC').replace(/[\s\p{Pd}]+/gu, '').toUpperCase();
  if (creditor.schemeName === SORT_CODE_ACCOUNT) {
    // Its ASCII digits alone, when the rest is separators; an identification holding digits of another
    // script keeps them, so two such accounts are never one key (they were: every one keyed as none).
    const digits = compact.replace(/[^\p{L}\p{N}]+/gu, '');
    return `${SORT_CODE_ACCOUNT}:${/^[0-9]*$/.test(digits) ? digits : compact}`;
  }
  const ukAccount = (creditor.schemeName === 'UK.OBIE.IBAN' ? UK_IBAN : creditor.schemeName === 'UK.OBIE.BBAN' ? UK_BBAN : null)?.exec(compact);
  if (ukAccount) return `${SORT_CODE_ACCOUNT}:${ukAccount[1]}`;
  return `${creditor.schemeName}:${compact}`;
}

const ACTION_RANK: Record<RiskDecision, number> = { allow: 0, hold: 1, reject: 2 };

/** The account schemes a payee may be named in (the API's ACCOUNT_SCHEMES: a test holds them equal). */
export const DENY_LIST_SCHEMES = ['UK.OBIE.BBAN', 'UK.OBIE.IBAN', 'UK.OBIE.PAN', 'UK.OBIE.Paym', 'UK.OBIE.SortCodeAccountNumber', 'UK.OBIE.Wallet'] as const;

/**
 * Why a deny-list entry can never match a payment (a typo the bank would otherwise never see: the mule
 * stays payable), or null: a scheme the API takes, named exactly; a sort code and account number of 14
 * digits once separators are dropped; an IBAN of its form whose check digits hold; anything else not
 * empty. Until 7 December 2026 any two strings were taken.
 */
function denyListEntryProblem(entry: unknown): string | null {
  const e = entry as { SchemeName?: unknown; Identification?: unknown } | null;
  if (!e || typeof e !== 'object' || Object.keys(e).some((key) => key !== 'SchemeName' && key !== 'Identification') || typeof e.SchemeName !== 'string' || typeof e.Identification !== 'string') {
    return 'must be { "SchemeName": "...", "Identification": "..." }';
  }
  if (!(DENY_LIST_SCHEMES as readonly string[]).includes(e.SchemeName)) return `SchemeName must be one of ${DENY_LIST_SCHEMES.join(', ')}`;
  const key = creditorKey({ schemeName: e.SchemeName, identification: e.Identification });
  const identification = key.slice(key.indexOf(':') + 1);
  if (identification.length === 0) return 'Identification is empty';
  // The forms the API takes a payee in (accountIdentificationProblem), once the separators a bank writes are dropped.
  if (e.SchemeName === SORT_CODE_ACCOUNT && accountIdentificationProblem(SORT_CODE_ACCOUNT, identification)) return 'a sort code and account number must be 14 digits';
  const iban = e.Identification.normalize('NFKC').replace(/[\s\p{Pd}]+/gu, '').toUpperCase();
  if (e.SchemeName === 'UK.OBIE.IBAN' && accountIdentificationProblem('UK.OBIE.IBAN', iban)) return 'an IBAN must have its form and check digits';
  return null;
}

/** Reads the deny-list file (`[{ SchemeName, Identification }]`); a missing file is an empty list. */
export function loadDenyList(file: string, required = false): Set<string> {
  if (!existsSync(file)) {
    if (required) throw new RiskRulesError(file, ['(deny-list) does not exist: production reads the bank\'s list from it (an empty one is [])']);
    return new Set();
  }
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RiskRulesError(file, [`(deny-list) is not JSON: ${(error as Error).message}`]);
  }
  if (!Array.isArray(entries)) throw new RiskRulesError(file, ['(deny-list) must be a list of { SchemeName, Identification }']);
  const errors: string[] = [];
  const keys = new Set<string>();
  entries.forEach((entry: unknown, index) => {
    const problem = denyListEntryProblem(entry);
    if (problem) errors.push(`[${index}]: ${problem}`);
    else {
      const e = entry as { SchemeName: string; Identification: string };
      keys.add(creditorKey({ schemeName: e.SchemeName, identification: e.Identification }));
    }
  });
  if (errors.length > 0) throw new RiskRulesError(file, errors);
  return keys;
}

/** One payment being scored: what each statement's parameters are read from. */
interface Scoring {
  input: PaymentRiskInput;
  payee: string;
  at: Date;
}

/** What the assessment's write reads besides the Scoring. */
interface Outcome extends Scoring {
  decision: RiskDecision;
  score: number;
  fired: FiredRule[];
  audit: [string, string | null];
}

/** The Scoring's values as typed SQL references, allocated as the statement's parts ask for them. */
type ScoringValues = HistoryValues & { payee: string; client: string };

function scoringValues<S extends Scoring>(params: StatementParameters<S>): ScoringValues {
  return {
    get account() {
      return params.of('account', (s) => s.input.debtorAccountId) + '::text';
    },
    get psu() {
      return params.of('psu', (s) => s.input.psuId) + '::text';
    },
    get amount() {
      return params.of('amount', (s) => s.input.amount) + '::numeric';
    },
    get currency() {
      return params.of('currency', (s) => s.input.currency) + '::char(3)';
    },
    get at() {
      return params.of('at', (s) => s.at) + '::timestamptz';
    },
    get payee() {
      return params.of('payee', (s) => s.payee) + '::text';
    },
    get client() {
      return params.of('client', (s) => s.input.clientId) + '::text';
    },
  };
}

/**
 * Whether a rule fires, as a boolean SQL expression (null for the deny-list, held in memory). The rule's
 * own parameters are constants of the statement.
 */
function ruleFiresSql(rule: RiskRule, v: ScoringValues, params: StatementParameters<Scoring>): string | null {
  switch (rule.kind) {
    case 'deny-list':
      return null;
    case 'new-payee':
      // Known: paid (an allowed or released payment) first at least knownAfterHours before this one.
      return `(${v.amount} >= ${params.constant(rule.minAmount)}::numeric
               AND NOT EXISTS (SELECT 1 FROM payment_risk_assessment WHERE debtor_account_id = ${v.account} AND creditor_key = ${v.payee} AND paid
                                  AND assessed_at <= ${v.at} - make_interval(hours => ${params.constant(rule.knownAfterHours)}::int)))`;
    case 'velocity': {
      // Rejected payments do not count, nor holds whose review ended unpaid: they moved no money. The
      // payments in the window, this one included, are more than maxCount (in any currency), or those in
      // this one's currency add up to more than maxAmount.
      const over = [
        ...(rule.maxCount !== undefined ? [`w.payments + 1 > ${params.constant(rule.maxCount)}::int`] : []),
        ...(rule.maxAmount !== undefined ? [`w.total + ${v.amount} > ${params.constant(rule.maxAmount)}::numeric`] : []),
      ];
      // From the owner's running totals: flat however many payments it made in the window.
      const since = `${v.at} - make_interval(mins => ${params.constant(rule.windowMinutes)}::int)`;
      const window = rule.per === 'tpp' ? windowTotalsSql(TPP_TOTALS, v.client, v.currency, since) : windowTotalsSql(ACCOUNT_TOTALS, v.account, v.currency, since);
      return `(SELECT ${over.join(' OR ')} FROM (${window}) AS w)`;
    }
    case 'new-tpp':
      return `coalesce((SELECT created_at > ${v.at} - make_interval(days => ${params.constant(rule.minDays)}::int) FROM tpp WHERE client_id = ${v.client}), false)`;
    case 'amount-multiple':
      return amountMultipleFires(v, params.constant(rule.multiple), params.constant(rule.minHistory));
    // The PSU rules need the PSU: a payment without one (none today) never fires them.
    case 'unusual-hour':
      return unusualHourFires(v, params.constant(rule.maxShare), params.constant(rule.minHistory));
    case 'failed-sign-ins':
      return failedSignInsFires(v, params.constant(rule.windowMinutes), params.constant(rule.minCount));
    case 'lockout-today':
      return lockoutTodayFires(v);
    default: {
      const unhandled: never = rule;
      throw new Error(`unknown rule kind ${String((unhandled as RiskRule).kind)}`);
    }
  }
}

/** The kinds that read what earlier payments of the account wrote: a burst must be scored in sequence. */
const READS_PAYMENT_HISTORY: ReadonlySet<RiskRule['kind']> = new Set(['new-payee', 'velocity', 'amount-multiple', 'unusual-hour']);

// Payments from one debtor account are scored one at a time, until the payment's transaction ends. A
// statement of its own: READ COMMITTED takes a statement's snapshot when it starts, so the look-ups must
// start after the lock is granted to see what the previous holder committed.
const debtorAccountLock = (accountId: string): string => `pg_advisory_xact_lock(hashtextextended('payment-risk:' || ${accountId}, 0))`;
const LOCK_DEBTOR_ACCOUNT = `SELECT ${debtorAccountLock('$1')}`;
const PREVIOUS = `SELECT decision, score, rules FROM payment_risk_assessment WHERE payment_id = $1`;

/**
 * Scores a payment before it is executed, inline, in the caller's transaction, in at most three round
 * trips whatever the rules: the debtor account's lock (only when a rule reads the payment history); every
 * rule's look-up in one statement (an indexed read each: `payment_risk_assessment`, the running totals of
 * running-totals.ts, the rolling statistics of payment-history.ts, the PSU's failed sign-ins; the
 * deny-list is in memory); and one statement that adds the payment to its TPP's and account's running
 * totals, stores the decision and the rules that fired, adds an allowed payment to the history, and writes
 * the `payment.risk-assessed` audit event.
 */
export class PaymentRiskEngine {
  private readonly serialised: boolean;
  private readonly lookups: { sql: string; select: string; params: StatementParameters<Scoring>; columns: Array<string | null> } | null;
  private readonly write: { sql: string; params: StatementParameters<Outcome> };
  private readonly listeners: DecisionListener[] = [];

  constructor(
    readonly rules: RiskRuleSet,
    private readonly denyList: Set<string>,
  ) {
    this.serialised = rules.rules.some((rule) => READS_PAYMENT_HISTORY.has(rule.kind));
    const params = new StatementParameters<Scoring>();
    const values = scoringValues(params);
    const expressions = rules.rules.map((rule) => ruleFiresSql(rule, values, params));
    const selected = expressions.flatMap((sql, index) => (sql === null ? [] : [`${sql} AS r${index}`]));
    this.lookups = selected.length === 0 ? null : { sql: `SELECT ${selected.join(',\n')}`, select: selected.join(',\n'), params, columns: expressions.map((sql, index) => (sql === null ? null : `r${index}`)) };
    this.write = assessmentWrite();
  }

  /**
   * Loads and validates the rules and the deny-list: a bad file throws RiskRulesError (the app refuses to
   * start). Where the list is required (production), a rules file without a `deny-list` rule that stops a
   * payment on its own (action hold or reject, or a weight reaching the hold threshold) is refused when the
   * list names accounts: payments to them would go through (until 7 December 2026 it ran so, silently).
   */
  static load(options: { rulesFile?: string; denyListFile: string; denyListRequired?: boolean }): PaymentRiskEngine {
    const rules = loadRiskRules(options.rulesFile);
    const denyList = loadDenyList(options.denyListFile, options.denyListRequired);
    const stopsOnItsOwn = (rule: RiskRule): boolean => rule.action !== 'score' || rule.weight >= rules.thresholds.hold;
    if (options.denyListRequired && denyList.size > 0 && !rules.rules.some((rule) => rule.kind === 'deny-list' && stopsOnItsOwn(rule))) {
      throw new RiskRulesError(options.rulesFile ?? SANDBOX_RULES_FILE, [
        `has no deny-list rule that holds or rejects a payment on its own: payments to the ${denyList.size} accounts of ${options.denyListFile} would go through (add one, or make the list [])`,
      ]);
    }
    return new PaymentRiskEngine(rules, denyList);
  }

  /**
   * Calls `listener` after each decision with how long `assess` took, in seconds, from the call to the
   * decision recorded (lock waits included): what the engine adds to the payment path, for the app's
   * metrics.
   */
  observeDecisions(listener: DecisionListener): void {
    this.listeners.push(listener);
  }

  /**
   * The payment's decision, recorded. A payment already assessed (a scheduled run retried after the bank
   * was unreachable) keeps its first decision.
   */
  async assess(manager: EntityManager, input: PaymentRiskInput): Promise<RiskAssessment> {
    const started = performance.now();
    const assessment = await this.decide(manager, input);
    this.observed(started, assessment);
    return assessment;
  }

  /**
   * Scores a new payment inside two statements of the caller's, so that a payment path whose own reads
   * and writes are made in the same transaction adds no round trip of its own for the decision:
   * - the look-ups are made in one statement with the caller's `read` (select-list items, their `$n`
   *   numbered on their own);
   * - `stopIf` sees that row and may stop there (a refusal of the caller's), before anything is written;
   * - the decision is written in one statement with the caller's `write` (data-modifying WITH items), and
   *   the caller's audit events are recorded with the engine's, in their order.
   *
   * When `debtorAccountLock` is defined, the caller must already hold that lock in this transaction (in
   * an earlier statement), so that a burst from one account is scored in
   * sequence. Only for a payment not assessed before (a new payment id): anything else throws. The time
   * observed (observeDecisions) is the two statements', the caller's reads and writes included.
   */
  async assessWithin<Stop>(manager: EntityManager, input: PaymentRiskInput, caller: CallerStatements<Stop>): Promise<{ stopped: Stop } | { assessment: RiskAssessment; read: Record<string, unknown> }> {
    const started = performance.now();
    const scoring: Scoring = { input, payee: creditorKey(input.creditor), at: input.at ?? new Date() };
    const lookupValues = this.lookups ? this.lookups.params.values(scoring) : [];
    const selected = [...(this.lookups ? [this.lookups.select] : []), ...(caller.read ? [shiftParameters(caller.read.select, lookupValues.length)] : [])];
    // Nothing to read (the deny-list alone, and no read of the caller's): no statement.
    const [read] =
      selected.length === 0
        ? [{}]
        : await queryPreparedIn<Record<string, unknown>>(manager, `SELECT ${selected.join(',\n')}`, [...lookupValues, ...(caller.read?.values ?? [])]);
    const stopped = caller.stopIf?.(read!) ?? null;
    if (stopped !== null) return { stopped };
    const assessment = this.decideFrom(scoring, read!);
    const theirs = await caller.write(assessment, read!);
    const outcome = this.outcomeOf(scoring, assessment, [...theirs.eventsBefore, this.assessedEvent(scoring, assessment), ...theirs.eventsAfter]);
    const ownValues = this.write.params.values(outcome);
    let offset = ownValues.length;
    const parts = theirs.parts.map((part, index) => {
      const sql = `c${index} AS (${shiftParameters(part.sql, offset)})`;
      offset += part.values.length;
      return sql;
    });
    const sql = this.write.sql.replace(WRITE_OUTPUT, `${parts.map((part) => `,\n    ${part}`).join('')}\n    ${WRITE_OUTPUT}`);
    const [written] = await queryPreparedIn<{ inserted: number }>(manager, sql, [...ownValues, ...theirs.parts.flatMap((part) => part.values)]);
    if (written!.inserted !== 1) throw new Error(`payment ${input.paymentId} was assessed before: assessWithin scores new payments only`);
    this.observed(started, assessment);
    return { assessment, read: read! };
  }

  /**
   * The SQL expression of the lock scoring holds on a debtor account until the transaction ends, given
   * the account id's SQL expression, for a caller that takes it in a statement of its own (assessWithin);
   * undefined when no rule reads what the account's earlier payments wrote (no lock is needed).
   */
  get debtorAccountLock(): ((accountId: string) => string) | undefined {
    return this.serialised ? debtorAccountLock : undefined;
  }

  private observed(started: number, assessment: RiskAssessment): void {
    const seconds = (performance.now() - started) / 1000;
    for (const listener of this.listeners) listener(seconds, assessment.decision);
  }

  private async decide(manager: EntityManager, input: PaymentRiskInput): Promise<RiskAssessment> {
    const scoring: Scoring = { input, payee: creditorKey(input.creditor), at: input.at ?? new Date() };
    if (this.serialised) await queryPreparedIn(manager, LOCK_DEBTOR_ACCOUNT, [input.debtorAccountId]);
    const [looked] = this.lookups ? await queryPreparedIn<Record<string, boolean>>(manager, this.lookups.sql, this.lookups.params.values(scoring)) : [{}];
    const assessment = this.decideFrom(scoring, looked!);
    const outcome = this.outcomeOf(scoring, assessment, [this.assessedEvent(scoring, assessment)]);
    const [written] = await queryPreparedIn<{ inserted: number }>(manager, this.write.sql, this.write.params.values(outcome));
    if (written!.inserted === 1) return assessment;
    // Assessed before: its first decision stands (nothing above was written).
    const [previous] = await queryPreparedIn<{ decision: RiskDecision; score: number; rules: FiredRule[] }>(manager, PREVIOUS, [input.paymentId]);
    return { decision: previous!.decision, score: previous!.score, rules: previous!.rules };
  }

  /** The rules that fire, given the look-ups' row (the deny-list is in memory), and the decision they make. */
  private decideFrom(scoring: Scoring, looked: Record<string, unknown>): RiskAssessment {
    const fired: FiredRule[] = [];
    let floor: RiskDecision = 'allow';
    this.rules.rules.forEach((rule, index) => {
      const column = this.lookups?.columns[index];
      const fires = column ? looked[column] === true : this.denyList.has(scoring.payee);
      if (!fires) return;
      fired.push({ name: rule.name, kind: rule.kind, score: rule.weight });
      if (rule.action !== 'score' && ACTION_RANK[rule.action] > ACTION_RANK[floor]) floor = rule.action;
    });
    const score = fired.reduce((sum, rule) => sum + rule.score, 0);
    const byScore: RiskDecision = score >= this.rules.thresholds.reject ? 'reject' : score >= this.rules.thresholds.hold ? 'hold' : 'allow';
    const decision = ACTION_RANK[byScore] > ACTION_RANK[floor] ? byScore : floor;
    return { decision, score, rules: fired };
  }

  private assessedEvent({ input }: Scoring, { decision, score, rules }: RiskAssessment): AuditEventInput {
    return {
      type: 'payment.risk-assessed',
      actor: { type: 'system', id: 'risk-engine' },
      clientId: input.clientId,
      consentId: input.consentId,
      ...(input.psuId ? { psuId: input.psuId } : {}),
      interactionId: input.interactionId,
      data: { paymentId: input.paymentId, paymentKind: input.paymentKind, decision, score, rules: rules.map((r) => ({ ...r })), amount: input.amount, currency: input.currency },
    };
  }

  private outcomeOf(scoring: Scoring, { decision, score, rules }: RiskAssessment, events: AuditEventInput[]): Outcome {
    return { ...scoring, decision, score, fired: rules, audit: prepareAuditEvents(events).values };
  }
}

/** The caller's part of assessWithin's two statements. */
export interface CallerStatements<Stop> {
  /** Select-list items read with the look-ups (`(SELECT ...) AS name`), their `$n` numbered on their own. */
  read?: { select: string; values: unknown[] };
  /** Given the row read: a value to stop with before anything is written (a refusal), or null to go on. */
  stopIf?: (row: Record<string, unknown>) => Stop | null;
  /**
   * Given the decision and the row read: data-modifying WITH items written with it (each a write with its
   * own `$n`), and the audit events to record before and after the engine's `payment.risk-assessed`, in
   * that order.
   */
  write: (assessment: RiskAssessment, row: Record<string, unknown>) => CallerWrites | Promise<CallerWrites>;
}

/** What the caller writes with the decision (CallerStatements.write). */
export interface CallerWrites {
  parts: WritePart[];
  eventsBefore: AuditEventInput[];
  eventsAfter: AuditEventInput[];
}

/** The last line of the assessment's statement: the caller's WITH items of assessWithin go before it. */
const WRITE_OUTPUT = 'SELECT count(*)::int AS inserted FROM assessed';

/**
 * The assessment's one statement: the running totals and the row (none of them if the payment was
 * assessed before), then, only if it was written, the history of an allowed payment and the audit event.
 * A data-modifying WITH runs whether or not the outer statement reads it.
 */
function assessmentWrite(): { sql: string; params: StatementParameters<Outcome> } {
  const params = new StatementParameters<Outcome>();
  const v = scoringValues(params);
  const decision = params.of('decision', (o) => o.decision) + '::text';
  const payment = params.of('payment', (o) => o.input.paymentId) + '::text';
  const history = paidPaymentHistoryWrites(v, `EXISTS (SELECT 1 FROM assessed WHERE paid)`);
  // The TPP's and the account's running totals first: the assessment row records each stripe's totals
  // just after it. A payment assessed before adds nothing (a scheduled run is retried under its own row
  // lock, so no two assessments of one payment race here).
  const add = { currency: v.currency, amount: v.amount, counted: `${decision} <> 'reject'`, when: `NOT EXISTS (SELECT 1 FROM payment_risk_assessment WHERE payment_id = ${payment})` };
  const sql = `
    WITH tpp_totals AS (${runningTotalAddSql(TPP_TOTALS, { ...add, id: v.client })}),
    account_totals AS (${runningTotalAddSql(ACCOUNT_TOTALS, { ...add, id: v.account })}),
    assessed AS (
      INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, psu_id, debtor_account_id, creditor_key, amount, currency,
                                           decision, score, rules, assessed_at, paid, review_status,
                                           ${TPP_TOTALS.stripe}, ${TPP_TOTALS.payments}, ${TPP_TOTALS.amount},
                                           ${ACCOUNT_TOTALS.stripe}, ${ACCOUNT_TOTALS.payments}, ${ACCOUNT_TOTALS.amount})
      SELECT ${payment}, ${params.of('kind', (o) => o.input.paymentKind)}::text,
             ${params.of('consent', (o) => o.input.consentId)}::text, ${v.client}, ${v.psu}, ${v.account}, ${v.payee}, ${v.amount}, ${v.currency},
             ${decision}, ${params.of('score', (o) => o.score)}::int, ${params.of('fired', (o) => JSON.stringify(o.fired))}::jsonb, ${v.at},
             ${decision} = 'allow', CASE WHEN ${decision} = 'hold' THEN 'held' END, t.stripe, t.payments, t.amount, a.stripe, a.payments, a.amount
        FROM tpp_totals AS t, account_totals AS a
      ON CONFLICT (payment_id) DO NOTHING
      RETURNING paid),
    amounts AS (${history.amounts}),
    hours AS (${history.hours}),
    audit AS (${auditOutboxInsertSql(params.of('events', (o) => o.audit[0]), params.of('traceparent', (o) => o.audit[1]), 'EXISTS (SELECT 1 FROM assessed)')})
    ${WRITE_OUTPUT}`;
  return { sql, params };
}
