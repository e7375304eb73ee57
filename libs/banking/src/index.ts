export { AggregatedBank } from './aggregated-bank.js';
export type { Gathered, ListPage, PlatformHeldOrders } from './aggregated-bank.js';
export { ConnectorUnavailableError, EMPTY_TRANSACTION_PAGE, InvalidCursorError, isCursorInstant, isCursorKey, MAX_PAGE_SIZE } from './bank-connector.js';
export type {
  BalanceTypeCode,
  BankAccount,
  BankAccountParty,
  BankBalance,
  BankBeneficiary,
  BankConnector,
  BankCreditorAccount,
  BankDirectDebit,
  BankOffer,
  BankPaymentOrder,
  BankPaymentRejection,
  BankPaymentResult,
  BankParty,
  BankProduct,
  BankScheduledPayment,
  BankStandingOrder,
  BankStatement,
  BankTransaction,
  ListCursor,
  ListKey,
  ListSlice,
  ListWindow,
  MandateStatusCode,
  StatementQuery,
  AccountPartyQuery,
  TransactionPage,
  TransactionQuery,
  TransactionSummary,
  TransactionSummaryQuery,
} from './bank-connector.js';
export { creditorPanContext, LEDGER_CIPHERTEXT_COLUMNS, PAN_SCHEME, panContext } from './card-pan.js';
export type { PanDecryptor } from './card-pan.js';
export { HttpBankConnector } from './http-bank.connector.js';
export type { HttpBankConnectorOptions } from './http-bank.connector.js';
export { SandboxLedgerConnector } from './sandbox-ledger.connector.js';
export { closeSandboxLedgerAccount, REIDENTIFIABLE_SCHEMES, reidentifySandboxLedgerAccount } from './sandbox-ledger-accounts.js';
export type { ReidentifiableScheme } from './sandbox-ledger-accounts.js';
