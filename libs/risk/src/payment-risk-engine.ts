import { existsSync, readFileSync } from 'node:fs';

import { recordAuditEvent } from '@consentry/audit';
import type { EntityManager } from '@consentry/database';

import { hadLockoutToday, hasFailedSignIns, isAmountMultiple, isUnusualHour, recordPaidPayment } from './payment-history.js';
import { loadRiskRules, RiskDecision, RiskRule, RiskRuleSet, RiskRulesError } from './risk-rules.js';

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

/** The StatusReasonDescription of a held payment: the same for every rule (no tipping-off). */
export const HELD_STATUS_DESCRIPTION = 'The payment is pending further processing';
/** The StatusReason of a payment the risk engine rejected: ISO 20022 FR01 (fraud). */
export const RISK_REJECTED_REASON = 'FR01';
export const RISK_REJECTED_DESCRIPTION = 'The payment was rejected';

/** How a creditor account is keyed in the deny-list and the payee history: scheme, then the identification without spaces, upper-case. */
export function creditorKey(creditor: { schemeName: string; identification: string }): string {
  return `${creditor.schemeName}:${creditor.identification.replace(/\s+/g, '').toUpperCase()}`;
}

/** Decimal text as an integer of 1/100000 units, so amounts compare exactly. */
function units(amount: string): bigint {
  const [whole = '0', fraction = ''] = amount.split('.');
  return BigInt(whole) * 100000n + BigInt((fraction + '00000').slice(0, 5));
}

const ACTION_RANK: Record<RiskDecision, number> = { allow: 0, hold: 1, reject: 2 };

/** Reads the deny-list file (`[{ SchemeName, Identification }]`); a missing file is an empty list. */
export function loadDenyList(file: string): Set<string> {
  if (!existsSync(file)) return new Set();
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
    const e = entry as { SchemeName?: unknown; Identification?: unknown } | null;
    if (!e || typeof e.SchemeName !== 'string' || typeof e.Identification !== 'string') errors.push(`[${index}]: must be { "SchemeName": "...", "Identification": "..." }`);
    else keys.add(creditorKey({ schemeName: e.SchemeName, identification: e.Identification }));
  });
  if (errors.length > 0) throw new RiskRulesError(file, errors);
  return keys;
}

/**
 * Scores a payment before it is executed, inline, in the caller's transaction: each rule is one indexed
 * lookup (on `payment_risk_assessment`, the rolling statistics of payment-history.ts, the PSU's failed
 * sign-ins, or the in-memory deny-list), the decision and the rules that fired
 * are stored on the payment's assessment row, with its `payment.risk-assessed` audit event.
 */
export class PaymentRiskEngine {
  constructor(
    readonly rules: RiskRuleSet,
    private readonly denyList: Set<string>,
  ) {}

  /** Loads and validates the rules and the deny-list: a bad file throws RiskRulesError (the app refuses to start). */
  static load(options: { rulesFile?: string; denyListFile: string }): PaymentRiskEngine {
    return new PaymentRiskEngine(loadRiskRules(options.rulesFile), loadDenyList(options.denyListFile));
  }

  /**
   * The payment's decision, recorded. A payment already assessed (a scheduled run retried after the bank
   * was unreachable) keeps its first decision.
   */
  async assess(manager: EntityManager, input: PaymentRiskInput): Promise<RiskAssessment> {
    const now = input.at ?? new Date();
    // Payments from one debtor account are scored one at a time, until the payment's transaction ends, so
    // a burst sent at once is counted as one sent in sequence (velocity, new payee, the account's
    // statistics read what the previous ones wrote). Taken with the look-up of an earlier decision: one
    // round trip.
    const [previous]: Array<{ decision: RiskDecision | null; score: number; rules: FiredRule[] }> = await manager.query(
      `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtextextended('payment-risk:' || $2, 0)))
       SELECT p.decision, p.score, p.rules FROM locked LEFT JOIN payment_risk_assessment p ON p.payment_id = $1`,
      [input.paymentId, input.debtorAccountId],
    );
    if (previous?.decision) return { decision: previous.decision, score: previous.score, rules: previous.rules };
    const payee = creditorKey(input.creditor);
    const fired: FiredRule[] = [];
    let floor: RiskDecision = 'allow';
    for (const rule of this.rules.rules) {
      if (!(await this.fires(manager, rule, input, payee, now))) continue;
      fired.push({ name: rule.name, kind: rule.kind, score: rule.weight });
      if (rule.action !== 'score' && ACTION_RANK[rule.action] > ACTION_RANK[floor]) floor = rule.action;
    }
    const score = fired.reduce((sum, rule) => sum + rule.score, 0);
    const byScore: RiskDecision = score >= this.rules.thresholds.reject ? 'reject' : score >= this.rules.thresholds.hold ? 'hold' : 'allow';
    const decision = ACTION_RANK[byScore] > ACTION_RANK[floor] ? byScore : floor;
    await manager.query(
      `INSERT INTO payment_risk_assessment (payment_id, payment_kind, consent_id, client_id, psu_id, debtor_account_id, creditor_key, amount, currency,
                                            decision, score, rules, assessed_at, paid, review_status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $10 = 'allow', CASE WHEN $10 = 'hold' THEN 'held' END)`,
      [input.paymentId, input.paymentKind, input.consentId, input.clientId, input.psuId, input.debtorAccountId, payee, input.amount, input.currency, decision, score, JSON.stringify(fired), now],
    );
    // An allowed payment joins the history the next payments are compared with (a held one, when released).
    if (decision === 'allow') await recordPaidPayment(manager, { debtorAccountId: input.debtorAccountId, psuId: input.psuId, amount: input.amount, currency: input.currency, at: now });
    await recordAuditEvent(manager, {
      type: 'payment.risk-assessed',
      actor: { type: 'system', id: 'risk-engine' },
      clientId: input.clientId,
      consentId: input.consentId,
      ...(input.psuId ? { psuId: input.psuId } : {}),
      interactionId: input.interactionId,
      data: { paymentId: input.paymentId, paymentKind: input.paymentKind, decision, score, rules: fired.map((r) => ({ ...r })), amount: input.amount, currency: input.currency },
    });
    return { decision, score, rules: fired };
  }

  private async fires(manager: EntityManager, rule: RiskRule, input: PaymentRiskInput, payee: string, now: Date): Promise<boolean> {
    switch (rule.kind) {
      case 'deny-list':
        return this.denyList.has(payee);
      case 'new-payee': {
        if (units(input.amount) < units(rule.minAmount)) return false;
        const [row]: Array<{ paid: boolean }> = await manager.query(
          `SELECT EXISTS (SELECT 1 FROM payment_risk_assessment WHERE debtor_account_id = $1 AND creditor_key = $2 AND paid) AS paid`,
          [input.debtorAccountId, payee],
        );
        return !row!.paid;
      }
      case 'velocity': {
        // Rejected payments do not count: they moved no money and the TPP may correct and retry.
        const column = rule.per === 'tpp' ? 'client_id' : 'debtor_account_id';
        const [row]: Array<{ count: number; total: string }> = await manager.query(
          `SELECT count(*)::int AS count, coalesce(sum(amount), 0)::text AS total FROM payment_risk_assessment
            WHERE ${column} = $1 AND assessed_at > $2 AND decision <> 'reject'`,
          [rule.per === 'tpp' ? input.clientId : input.debtorAccountId, new Date(now.getTime() - rule.windowMinutes * 60_000)],
        );
        if (rule.maxCount !== undefined && row!.count + 1 > rule.maxCount) return true;
        return rule.maxAmount !== undefined && units(row!.total) + units(input.amount) > units(rule.maxAmount);
      }
      case 'new-tpp': {
        const [row]: Array<{ recent: boolean }> = await manager.query(
          `SELECT created_at > $2::timestamptz - make_interval(days => $3) AS recent FROM tpp WHERE client_id = $1`,
          [input.clientId, now, rule.minDays],
        );
        return row?.recent === true;
      }
      case 'amount-multiple':
        return isAmountMultiple(manager, input, rule.multiple, rule.minHistory);
      // The PSU rules need the PSU: a payment without one (none today) never fires them.
      case 'unusual-hour':
        return input.psuId !== null && isUnusualHour(manager, input.psuId, now, rule.maxShare, rule.minHistory);
      case 'failed-sign-ins':
        return input.psuId !== null && hasFailedSignIns(manager, input.psuId, now, rule.windowMinutes, rule.minCount);
      case 'lockout-today':
        return input.psuId !== null && hadLockoutToday(manager, input.psuId, now);
      default: {
        const unhandled: never = rule;
        throw new Error(`unknown rule kind ${String((unhandled as RiskRule).kind)}`);
      }
    }
  }
}
