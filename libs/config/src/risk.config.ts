import { EnvReader } from './env-reader.js';
import type { PlatformConfig } from './platform.config.js';

/** Payment monitoring (docs/monitoring.md): where the rules and the deny-list are, and how holds are reviewed. */
export interface RiskConfig {
  /** The YAML rules file; unset: the sandbox rules shipped in libs/risk/rules/sandbox.yaml. */
  riskRulesFile: string | undefined;
  /** The deny-list of creditor accounts (JSON); a missing file is an empty list. */
  riskDenyListFile: string;
  /** A held payment not reviewed within this many minutes is rejected by the worker. */
  reviewTimeoutMinutes: number;
  /** Whether a release needs a second, different admin. */
  reviewFourEyes: boolean;
}

export function loadRiskConfig(env: Record<string, string | undefined>, platform: PlatformConfig): RiskConfig {
  const read = new EnvReader(env);
  return {
    riskRulesFile: read.optionalString('RISK_RULES_FILE'),
    riskDenyListFile: read.string('RISK_DENY_LIST_FILE', `${platform.dataDir}/sandbox/deny-list.json`),
    reviewTimeoutMinutes: read.integer('REVIEW_TIMEOUT_MINUTES', 24 * 60, { min: 1, max: 30 * 24 * 60 }),
    reviewFourEyes: read.boolean('REVIEW_FOUR_EYES', false),
  };
}
