export { InvalidCursorError } from './bank-connector.js';
export type {
  BalanceTypeCode,
  BankAccount,
  BankBalance,
  BankConnector,
  BankTransaction,
  TransactionPage,
  TransactionQuery,
} from './bank-connector.js';
export { PAN_SCHEME, panContext } from './card-pan.js';
export type { PanDecryptor } from './card-pan.js';
export { formatAmount, SANDBOX_LEDGER_CONNECTOR, SandboxLedgerConnector } from './sandbox-ledger.connector.js';
