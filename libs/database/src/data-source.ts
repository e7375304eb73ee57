import { DataSource, DataSourceOptions } from 'typeorm';

import { ResilientPgClient } from './resilient-pg-client.js';
import { installTimestampParsing } from './timestamp-parsing.js';

import { InitialSchema1764000000000 } from '../migrations/1764000000000-initial-schema.js';
import { WorkerExpiryRetention1764200000000 } from '../migrations/1764200000000-worker-expiry-retention.js';
import { AisResources1764300000000 } from '../migrations/1764300000000-ais-resources.js';
import { TppDeregistered1764400000000 } from '../migrations/1764400000000-tpp-deregistered.js';
import { OidcGrantFamilyIndex1764500000000 } from '../migrations/1764500000000-oidc-grant-family-index.js';
import { LoginThrottle1764620000000 } from '../migrations/1764620000000-login-throttle.js';
import { TppSoftwareIdUnique1764650000000 } from '../migrations/1764650000000-tpp-software-id-unique.js';
import { AuditOutboxTraceparent1764680000000 } from '../migrations/1764680000000-audit-outbox-traceparent.js';
import { PaymentConsents1764700000000 } from '../migrations/1764700000000-payment-consents.js';
import { FundsConfirmationConsents1764720000000 } from '../migrations/1764720000000-funds-confirmation-consents.js';
import { IdempotencyKeys1764740000000 } from '../migrations/1764740000000-idempotency-keys.js';
import { DomesticVrp1764800000000 } from '../migrations/1764800000000-domestic-vrp.js';
import { DomesticStandingOrderConsents1764905000000 } from '../migrations/1764905000000-domestic-standing-order-consents.js';
import { DomesticStandingOrders1764905100000 } from '../migrations/1764905100000-domestic-standing-orders.js';
import { PaymentListings1764910000000 } from '../migrations/1764910000000-payment-listings.js';
import { DomesticScheduledPayments1764970000000 } from '../migrations/1764970000000-domestic-scheduled-payments.js';
import { StandingOrderRunListings1765000000000 } from '../migrations/1765000000000-standing-order-run-listings.js';
import { AisListKeysetIndexes1765010000000 } from '../migrations/1765010000000-ais-list-keyset-indexes.js';
import { EventNotifications1765200000000 } from '../migrations/1765200000000-event-notifications.js';
import { PsuAlerts1765300000000 } from '../migrations/1765300000000-psu-alerts.js';
import { PaymentRisk1765100000000 } from '../migrations/1765100000000-payment-risk.js';
import { PaymentRiskHistory1765400000000 } from '../migrations/1765400000000-payment-risk-history.js';
import { AisListKeysetIndexesMore1765500000000 } from '../migrations/1765500000000-ais-list-keyset-indexes-more.js';
import { VrpConsentDayTotals1765600000000 } from '../migrations/1765600000000-vrp-consent-day-totals.js';
import { PaymentRunningTotals1765700000000 } from '../migrations/1765700000000-payment-running-totals.js';
import { IdempotencyProvisionalAnswers1765720000000 } from '../migrations/1765720000000-idempotency-provisional-answers.js';
import { StandingOrderRunSettlement1765730000000 } from '../migrations/1765730000000-standing-order-run-settlement.js';
import { AccountConsentListings1765800000000 } from '../migrations/1765800000000-account-consent-listings.js';
import { TppListing1765810000000 } from '../migrations/1765810000000-tpp-listing.js';
import { ReviewWithdrawn1765820000000 } from '../migrations/1765820000000-review-withdrawn.js';
import { AuditTamperGuards1765830000000 } from '../migrations/1765830000000-audit-tamper-guards.js';
import { ConsentGrantIndexes1765840000000 } from '../migrations/1765840000000-consent-grant-indexes.js';
import { StrandedPaymentIndexes1765850000000 } from '../migrations/1765850000000-stranded-payment-indexes.js';
import { LedgerRejectedPayments1765860000000 } from '../migrations/1765860000000-ledger-rejected-payments.js';
import { AuditFunctionsSearchPath1765870000000 } from '../migrations/1765870000000-audit-functions-search-path.js';
import { SentToBank1765885000000 } from '../migrations/1765885000000-sent-to-bank.js';
import { AuditOutboxChainable1765890000000 } from '../migrations/1765890000000-audit-outbox-chainable.js';
import { AdminRoles1765900000000 } from '../migrations/1765900000000-admin-roles.js';
import { PayeeKnownAfter1765910000000 } from '../migrations/1765910000000-payee-known-after.js';
import { AuditSearchIndexes1765920000000 } from '../migrations/1765920000000-audit-search-indexes.js';
import { FiredAssessmentsIndex1765930000000 } from '../migrations/1765930000000-fired-assessments-index.js';
import { RuleStatisticsTally1765940000000 } from '../migrations/1765940000000-rule-statistics-tally.js';
import { EventNotificationOrder1765950000000 } from '../migrations/1765950000000-event-notification-order.js';
import { AuditOutboxHashable1765960000000 } from '../migrations/1765960000000-audit-outbox-hashable.js';
import { AuditLogSeqPositive1765970000000 } from '../migrations/1765970000000-audit-log-seq-positive.js';
import { InitiatedOrdersByDebtor1765980000000 } from '../migrations/1765980000000-initiated-orders-by-debtor.js';
import { RunningTotalsPerCurrency1765990000000 } from '../migrations/1765990000000-running-totals-per-currency.js';
import { UnpaidHoldsByOwner1766000000000 } from '../migrations/1766000000000-unpaid-holds-by-owner.js';
import { StandingOrderFailedEnd1766010000000 } from '../migrations/1766010000000-standing-order-failed-end.js';
import { AccountAccessConsentEntity } from './entities/account-access-consent.entity.js';
import { AccountEntity } from './entities/account.entity.js';
import { AdminUserEntity } from './entities/admin-user.entity.js';
import { AspspEntity } from './entities/aspsp.entity.js';
import { AuditLogEntity } from './entities/audit-log.entity.js';
import { AuditOutboxEntity } from './entities/audit-outbox.entity.js';
import { BalanceEntity } from './entities/balance.entity.js';
import { ConsentAccountEntity } from './entities/consent-account.entity.js';
import { IdempotencyKeyEntity } from './entities/idempotency-key.entity.js';
import { OidcModelEntity } from './entities/oidc-model.entity.js';
import { PsuEntity } from './entities/psu.entity.js';
import { TppEntity } from './entities/tpp.entity.js';
import { TransactionEntity } from './entities/transaction.entity.js';
import { AccountPartyEntity } from './entities/account-party.entity.js';
import { BeneficiaryEntity } from './entities/beneficiary.entity.js';
import { DirectDebitEntity } from './entities/direct-debit.entity.js';
import { OfferEntity } from './entities/offer.entity.js';
import { PartyEntity } from './entities/party.entity.js';
import { ProductEntity } from './entities/product.entity.js';
import { ScheduledPaymentEntity } from './entities/scheduled-payment.entity.js';
import { StandingOrderEntity } from './entities/standing-order.entity.js';
import { StatementEntity } from './entities/statement.entity.js';
import { PaymentConsentEntity } from './entities/payment-consent.entity.js';
import { DomesticPaymentEntity } from './entities/domestic-payment.entity.js';
import { VrpPaymentEntity } from './entities/vrp-payment.entity.js';

export const ENTITIES = [
  AspspEntity,
  PsuEntity,
  AdminUserEntity,
  AccountEntity,
  BalanceEntity,
  TransactionEntity,
  TppEntity,
  AccountAccessConsentEntity,
  ConsentAccountEntity,
  OidcModelEntity,
  AuditOutboxEntity,
  AuditLogEntity,
  BeneficiaryEntity,
  DirectDebitEntity,
  StandingOrderEntity,
  ScheduledPaymentEntity,
  StatementEntity,
  PartyEntity,
  AccountPartyEntity,
  ProductEntity,
  OfferEntity,
  IdempotencyKeyEntity,
  PaymentConsentEntity,
  DomesticPaymentEntity,
  VrpPaymentEntity,
];

/** Hand-reviewed migrations, in order. The schema never comes from `synchronize`. */
export const MIGRATIONS = [
  InitialSchema1764000000000,
  WorkerExpiryRetention1764200000000,
  AisResources1764300000000,
  TppDeregistered1764400000000,
  OidcGrantFamilyIndex1764500000000,
  LoginThrottle1764620000000,
  TppSoftwareIdUnique1764650000000,
  AuditOutboxTraceparent1764680000000,
  PaymentConsents1764700000000,
  FundsConfirmationConsents1764720000000,
  IdempotencyKeys1764740000000,
  DomesticVrp1764800000000,
  DomesticStandingOrderConsents1764905000000,
  DomesticStandingOrders1764905100000,
  PaymentListings1764910000000,
  DomesticScheduledPayments1764970000000,
  StandingOrderRunListings1765000000000,
  AisListKeysetIndexes1765010000000,
  EventNotifications1765200000000,
  PsuAlerts1765300000000,
  PaymentRisk1765100000000,
  PaymentRiskHistory1765400000000,
  AisListKeysetIndexesMore1765500000000,
  VrpConsentDayTotals1765600000000,
  PaymentRunningTotals1765700000000,
  IdempotencyProvisionalAnswers1765720000000,
  StandingOrderRunSettlement1765730000000,
  AccountConsentListings1765800000000,
  TppListing1765810000000,
  ReviewWithdrawn1765820000000,
  AuditTamperGuards1765830000000,
  ConsentGrantIndexes1765840000000,
  StrandedPaymentIndexes1765850000000,
  LedgerRejectedPayments1765860000000,
  AuditFunctionsSearchPath1765870000000,
  SentToBank1765885000000,
  AuditOutboxChainable1765890000000,
  AdminRoles1765900000000,
  PayeeKnownAfter1765910000000,
  AuditSearchIndexes1765920000000,
  FiredAssessmentsIndex1765930000000,
  RuleStatisticsTally1765940000000,
  EventNotificationOrder1765950000000,
  AuditOutboxHashable1765960000000,
  AuditLogSeqPositive1765970000000,
  InitiatedOrdersByDebtor1765980000000,
  RunningTotalsPerCurrency1765990000000,
  UnpaidHoldsByOwner1766000000000,
  StandingOrderFailedEnd1766010000000,
];

export interface DatabaseOptions {
  url: string;
  /** Pool size per process. */
  poolSize?: number;
  applicationName?: string;
}

export function dataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migration',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      Client: ResilientPgClient,
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? 'consentry',
      // A stuck statement must not hold a request forever.
      statement_timeout: 15_000,
      // The server's timeout cannot end a query whose server died with it (killed, host gone): the client
      // gives up after twice as long, so a job or request fails and is retried instead of hanging, and TCP
      // keepalive notices a dead peer on an idle connection.
      query_timeout: 30_000,
      keepAlive: true,
      // Timestamps print in UTC, the form parseTimestamptz reads fastest (the instants are the same in any zone).
      options: '-c TimeZone=UTC',
      connectionTimeoutMillis: 5_000,
      // A pooled connection is kept through a lull of minutes (node-postgres closes it after 10 s idle by
      // default): a new one costs its connection and, on the payment path, parsing its prepared statements
      // and planning each of their first executions again (20-40 ms each for the risk engine's look-up on a
      // busy machine), which put a burst after a quiet moment in the p99 (bench/risk-decision).
      idleTimeoutMillis: 300_000,
    },
  };
}

export function createDataSource(options: DatabaseOptions): DataSource {
  installTimestampParsing();
  return new DataSource(dataSourceOptions(options));
}
