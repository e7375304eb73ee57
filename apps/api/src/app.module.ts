import { AggregatedBank, BankConnector, SandboxLedgerConnector } from '@consentry/banking';
import type { ApiConfig } from '@consentry/config';
import { type ConsentStatusClock, InitiatedOrdersInAis, PaymentApprovalSeal } from '@consentry/consents';
import { DataSource, LedgerReader } from '@consentry/database';
import { CredentialAuthenticator, KeyManagement } from '@consentry/identity';
import { DynamicModule, Global, Module, Type } from '@nestjs/common';
import { Redis } from 'ioredis';

import { AccountAccessConsentsModule } from './account-access-consents/account-access-consents.module.js';
import { AccountsModule } from './accounts/accounts.module.js';
import { AdminModule } from './admin/admin.module.js';
import { AdminConsoleModule } from './admin-console/admin-console.module.js';
import { API_CONFIG, CONSENT_STATUS_CLOCK, KEY_MANAGEMENT, LIMIT_CLOCK, LimitClock } from './api.tokens.js';
import { BalancesModule } from './balances/balances.module.js';
import { CustomerModule } from './customer/customer.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { DomesticPaymentsModule } from './domestic-payments/domestic-payments.module.js';
import { DomesticScheduledPaymentsModule } from './domestic-scheduled-payments/domestic-scheduled-payments.module.js';
import { FundsConfirmationsModule } from './funds-confirmations/funds-confirmations.module.js';
import { DomesticVrpsModule } from './domestic-vrps/domestic-vrps.module.js';
import { DomesticStandingOrdersModule } from './domestic-standing-orders/domestic-standing-orders.module.js';
import { EventSubscriptionsModule } from './event-subscriptions/event-subscriptions.module.js';
import { PublicUrl } from './http/public-url.js';
import { IdempotencyModule } from './idempotency/idempotency.module.js';
import { BankSigningKeys } from './message-signing/bank-signing-keys.js';
import { MessageSigningModule } from './message-signing/message-signing.module.js';
import { AccountInformationModule } from './open-banking/account-information.module.js';
import { OpenBankingModule } from './open-banking/open-banking.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { TransactionsModule } from './transactions/transactions.module.js';
import { LedgerAdminModule } from './admin/ledger/ledger-admin.module.js';
import { TppAdminModule } from './admin/tpps/tpp-admin.module.js';
import { PaymentAdminModule } from './admin/payments/payment-admin.module.js';
import { PaymentRiskModule } from './payment-reviews/payment-risk.module.js';
import { PaymentReviewsModule } from './payment-reviews/payment-reviews.module.js';

/** What the bootstrap opens before Nest starts, so a missing dependency fails with one readable line. */
export interface ApiDependencies {
  config: ApiConfig;
  dataSource: DataSource;
  redis: Redis;
  keys: KeyManagement;
  publicUrl: PublicUrl;
  /** Connectors besides the built-in ledger (HTTP upstreams), chosen per `aspsp.connector`. */
  connectors: BankConnector[];
  /** What time the rate limits count by (epoch ms): Date.now, or a test's clock. */
  limitClock: LimitClock;
  /** The bank's message-signing keys (responses' x-jws-signature, the published JWKS). */
  signingKeys: BankSigningKeys;
  /** Where the ledger's AIS reads go when DATABASE_READ_URL names a replica (the primary otherwise). */
  ledgerReads?: LedgerReader;
}

@Global()
@Module({})
class InfrastructureModule {
  static register(deps: ApiDependencies): DynamicModule {
    const providers = [
      { provide: API_CONFIG, useValue: deps.config },
      { provide: DataSource, useValue: deps.dataSource },
      { provide: Redis, useValue: deps.redis },
      { provide: KEY_MANAGEMENT, useValue: deps.keys },
      { provide: LIMIT_CLOCK, useValue: deps.limitClock },
      { provide: CONSENT_STATUS_CLOCK, useValue: (): ConsentStatusClock => ({ now: new Date(), awaitingMaxAgeSeconds: deps.config.consentAwaitingMaxAgeSeconds }) },
      { provide: PublicUrl, useValue: deps.publicUrl },
      { provide: BankSigningKeys, useValue: deps.signingKeys },
      // Dynamic linking: the keyed seal the PSU's approval wrote on a payment consent, checked at each payment.
      { provide: PaymentApprovalSeal, useFactory: () => new PaymentApprovalSeal(deps.config.secretsKeys) },
      // Each bank is served by the connector its aspsp.connector names: the built-in ledger, or another kind;
      // the standing orders and scheduled payments made through payment initiation are listed beside theirs.
      {
        provide: AggregatedBank,
        useFactory: () =>
          new AggregatedBank(deps.dataSource, [new SandboxLedgerConnector(deps.dataSource, deps.keys, undefined, deps.ledgerReads), ...deps.connectors], {
            heldOrders: new InitiatedOrdersInAis(deps.dataSource),
          }),
      },
      {
        provide: CredentialAuthenticator,
        useFactory: () =>
          new CredentialAuthenticator(deps.dataSource, deps.keys, {
            maxFailures: deps.config.loginMaxFailures,
            lockoutSeconds: deps.config.loginLockoutSeconds,
            ipMaxFailures: deps.config.loginIpMaxFailures,
            ipWindowSeconds: deps.config.loginIpWindowSeconds,
          }),
      },
    ];
    return { module: InfrastructureModule, providers, exports: providers.map((p) => p.provide) };
  }
}

@Module({})
export class AppModule {
  /** @param extra modules mounted beside the app's own (test-only routes; production passes none) */
  static forRoot(deps: ApiDependencies, extra: Type[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfrastructureModule.register(deps),
        OpenBankingModule,
        SessionsModule,
        AccountAccessConsentsModule,
        AccountsModule,
        BalancesModule,
        TransactionsModule,
        AccountInformationModule,
        DomesticPaymentsModule,
        DomesticScheduledPaymentsModule,
        FundsConfirmationsModule,
        DomesticVrpsModule,
        DomesticStandingOrdersModule,
        CustomerModule,
        AdminModule,
        TppAdminModule,
        LedgerAdminModule,
        PaymentAdminModule,
        DashboardModule,
        AdminConsoleModule,
        MessageSigningModule,
        IdempotencyModule,
        EventSubscriptionsModule,
        PaymentRiskModule,
        PaymentReviewsModule,
        ...extra,
      ],
    };
  }
}
