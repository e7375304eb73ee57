import type { ApiConfig } from '@consentry/config';
import { PaymentRiskEngine } from '@consentry/risk';
import { Global, Module } from '@nestjs/common';

import { API_CONFIG } from '../api.tokens.js';

/**
 * The payment risk engine, for every payment path (domestic, VRP; the worker has its own for scheduled
 * and standing-order runs). Its rules and deny-list are read and validated when the app starts: a bad
 * file throws RiskRulesError, one line per error, and the API does not start.
 */
@Global()
@Module({
  providers: [
    {
      provide: PaymentRiskEngine,
      inject: [API_CONFIG],
      useFactory: (config: ApiConfig) => PaymentRiskEngine.load({ rulesFile: config.risk.riskRulesFile, denyListFile: config.risk.riskDenyListFile, denyListRequired: config.risk.riskDenyListRequired }),
    },
  ],
  exports: [PaymentRiskEngine],
})
export class PaymentRiskModule {}
