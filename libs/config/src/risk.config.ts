import { ConfigError } from './config.error.js';
import { EnvReader } from './env-reader.js';
import type { PlatformConfig } from './platform.config.js';

/** Payment monitoring (docs/monitoring.md): where the rules and the deny-list are, and how holds are reviewed. */
export interface RiskConfig {
  /** The YAML rules file; unset (sandbox only): the sandbox rules shipped in libs/risk/rules/sandbox.yaml. */
  riskRulesFile: string | undefined;
  /** The deny-list of creditor accounts (JSON); in the sandbox a missing file is an empty list. */
  riskDenyListFile: string;
  /** Whether the deny-list file must exist (production): a missing one stops the API and the worker at start. */
  riskDenyListRequired: boolean;
  /** A held payment not reviewed within this many minutes is rejected by the worker. */
  reviewTimeoutMinutes: number;
  /** Whether a release needs a second, different admin. */
  reviewFourEyes: boolean;
}

export function loadRiskConfig(env: Record<string, string | undefined>, platform: PlatformConfig): RiskConfig {
  const read = new EnvReader(env);
  const production = platform.mode === 'production';
  // Production names the bank's own rules and deny-list: until 7 December 2026 it ran the sandbox's rules
  // with the sandbox's deny-list path (an empty list where no file was), and said nothing.
  for (const name of production ? ['RISK_RULES_FILE', 'RISK_DENY_LIST_FILE'] : []) {
    if (!read.optionalString(name)) throw new ConfigError(name, 'is required in production mode (the bank\'s payment-monitoring rules and deny-list: docs/monitoring.md)');
  }
  return {
    riskRulesFile: read.optionalString('RISK_RULES_FILE'),
    riskDenyListFile: read.string('RISK_DENY_LIST_FILE', `${platform.dataDir}/sandbox/deny-list.json`),
    riskDenyListRequired: production,
    reviewTimeoutMinutes: read.integer('REVIEW_TIMEOUT_MINUTES', 24 * 60, { min: 1, max: 30 * 24 * 60 }),
    reviewFourEyes: read.boolean('REVIEW_FOUR_EYES', false),
  };
}
