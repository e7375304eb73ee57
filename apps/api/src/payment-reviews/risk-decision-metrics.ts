import type { AppMetrics } from '@consentry/observability';
import type { PaymentRiskEngine } from '@consentry/risk';

// From half a millisecond (the sandbox's rules, one at a time) to a second (a lock held by a stuck
// payment), finest around the 5 ms the decision may add to the payment path.
const DECISION_SECONDS_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * `consentry_risk_decision_seconds{decision}` on the API's /metrics: how long each risk decision took on
 * the payment path, lock waits included. bench/payments reads it to give the decision's p99 under load.
 */
export function observeRiskDecisions(engine: PaymentRiskEngine, metrics: AppMetrics): void {
  const histogram = metrics.histogram(
    'consentry_risk_decision_seconds',
    'Time the payment risk engine took to decide on a payment (look-ups, lock wait and the recorded decision), by decision.',
    ['decision'],
    DECISION_SECONDS_BUCKETS,
  );
  engine.observeDecisions((seconds, decision) => histogram.observe({ decision }, seconds));
}
