export { DENY_LIST_ONLY_RULES_FILE, loadRiskRules, parseRiskRules, RiskRulesError, SANDBOX_RULES_FILE, validateRiskRules } from './risk-rules.js';
export type { RiskAction, RiskDecision, RiskRule, RiskRuleSet } from './risk-rules.js';
export {
  creditorKey,
  DENY_LIST_SCHEMES,
  HELD_STATUS_DESCRIPTION,
  loadDenyList,
  PaymentRiskEngine,
  RISK_REJECTED_DESCRIPTION,
  RISK_REJECTED_REASON,
} from './payment-risk-engine.js';
export type { CallerStatements, CallerWrites, DecisionListener, FiredRule, PaymentKind, PaymentRiskInput, RiskAssessment } from './payment-risk-engine.js';
export { isExecutable, screenNewPayment, screenPayment } from './screen-payment.js';
export type { PaymentTable, ScreenedNewPayment, ScreenedStatus } from './screen-payment.js';
export { recordPaidPayment } from './payment-history.js';
export type { PaidPayment } from './payment-history.js';
export { FOLD_RULE_TALLY_SQL, foldRuleTally } from './rule-tally.js';
