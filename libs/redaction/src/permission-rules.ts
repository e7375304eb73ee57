import { maskPan } from './mask.js';

/** The OB resources whose fields depend on the consent's permissions. */
export type PermissionedResource = 'account' | 'balance' | 'transaction';

type FieldRule = Readonly<Record<string, readonly string[]>>;

const ACCOUNT_BASIC_FIELDS = [
  'AccountId',
  'Status',
  'StatusUpdateDateTime',
  'Currency',
  'AccountCategory',
  'AccountTypeCode',
  'Description',
  'Nickname',
  'OpeningDate',
  'MaturityDate',
  'SwitchStatus',
] as const;

const TRANSACTION_BASIC_FIELDS = [
  'AccountId',
  'TransactionId',
  'TransactionReference',
  'StatementReference',
  'CreditDebitIndicator',
  'Status',
  'TransactionMutability',
  'BookingDateTime',
  'ValueDateTime',
  'AddressLine',
  'Amount',
  'ChargeAmount',
  'CurrencyExchange',
  'BankTransactionCode',
  'ProprietaryBankTransactionCode',
  'ExtendedProprietaryBankTransactionCodes',
  'CardInstrument',
  'SupplementaryData',
  'CategoryPurposeCode',
  'PaymentPurposeCode',
] as const;

/**
 * The one table of what each permission shows, field by field, following the v4.0 schemas:
 * OBAccount6Basic vs OBAccount6Detail (Detail adds the `Account` identification, statement frequency and
 * servicer) and OBTransaction6Basic vs OBTransaction6Detail (Detail adds the narrative, running balance,
 * merchant and counterparty details). A field not listed under any of a consent's permissions is removed.
 */
export const PERMISSION_FIELDS: Readonly<Record<PermissionedResource, FieldRule>> = {
  account: {
    ReadAccountsBasic: ACCOUNT_BASIC_FIELDS,
    ReadAccountsDetail: [...ACCOUNT_BASIC_FIELDS, 'Account', 'StatementFrequencyAndFormat', 'Servicer'],
  },
  balance: {
    ReadBalances: ['AccountId', 'CreditDebitIndicator', 'Type', 'DateTime', 'Amount', 'CreditLine', 'LocalAmount'],
  },
  transaction: {
    ReadTransactionsBasic: TRANSACTION_BASIC_FIELDS,
    ReadTransactionsDetail: [
      ...TRANSACTION_BASIC_FIELDS,
      'TransactionInformation',
      'Balance',
      'MerchantDetails',
      'CreditorAgent',
      'CreditorAccount',
      'DebtorAgent',
      'DebtorAccount',
      'UltimateCreditor',
      'UltimateDebtor',
    ],
  },
};

/** Permissions that decide which transaction directions are visible. */
export const DIRECTION_PERMISSIONS = { Credit: 'ReadTransactionsCredits', Debit: 'ReadTransactionsDebits' } as const;

/** ReadPAN lets a Detail permission show a card number in full; without it a PAN keeps six and four digits. */
export const READ_PAN = 'ReadPAN';
const PAN_SCHEME = 'UK.OBIE.PAN';

/** The fields of `resource` that `permissions` allow (empty: the resource may not be shown at all). */
export function allowedFields(resource: PermissionedResource, permissions: readonly string[]): Set<string> {
  const rules = PERMISSION_FIELDS[resource];
  const fields = new Set<string>();
  for (const permission of permissions) {
    for (const field of rules[permission] ?? []) fields.add(field);
  }
  return fields;
}

function pick(source: Record<string, unknown>, fields: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (fields.has(key) && value !== undefined) out[key] = value;
  }
  return out;
}

function maskPanIdentification(entry: unknown, showPan: boolean): unknown {
  if (showPan || typeof entry !== 'object' || entry === null) return entry;
  const identification = entry as Record<string, unknown>;
  if (identification.SchemeName !== PAN_SCHEME || typeof identification.Identification !== 'string') return entry;
  return { ...identification, Identification: maskPan(identification.Identification) };
}

/**
 * An OB account (OBAccount6) reduced to what `permissions` allow, or null when they allow no account data.
 * Card numbers (scheme UK.OBIE.PAN) are masked unless the consent holds ReadPAN.
 */
export function filterAccountByPermissions(account: Record<string, unknown>, permissions: readonly string[]): Record<string, unknown> | null {
  const fields = allowedFields('account', permissions);
  if (fields.size === 0) return null;
  const out = pick(account, fields);
  if (Array.isArray(out.Account)) {
    const showPan = permissions.includes(READ_PAN);
    out.Account = out.Account.map((entry) => maskPanIdentification(entry, showPan));
  }
  return out;
}

/** An OB balance reduced to what `permissions` allow, or null without ReadBalances. */
export function filterBalanceByPermissions(balance: Record<string, unknown>, permissions: readonly string[]): Record<string, unknown> | null {
  const fields = allowedFields('balance', permissions);
  return fields.size === 0 ? null : pick(balance, fields);
}

/** Whether a transaction of this direction may be shown under `permissions` (Credits/Debits). */
export function isDirectionAllowed(creditDebitIndicator: unknown, permissions: readonly string[]): boolean {
  if (creditDebitIndicator !== 'Credit' && creditDebitIndicator !== 'Debit') return false;
  return permissions.includes(DIRECTION_PERMISSIONS[creditDebitIndicator]);
}

/** Directions the permissions allow, for filtering at the source so pages stay full. */
export function allowedDirections(permissions: readonly string[]): Array<'Credit' | 'Debit'> {
  return (['Credit', 'Debit'] as const).filter((direction) => permissions.includes(DIRECTION_PERMISSIONS[direction]));
}

/**
 * An OB transaction (OBTransaction6) reduced to what `permissions` allow: null when its direction is not
 * consented or no transaction permission is held; Basic drops the Detail-only fields; a card number in
 * CardInstrument, CreditorAccount or DebtorAccount is masked without ReadPAN.
 */
export function filterTransactionByPermissions(transaction: Record<string, unknown>, permissions: readonly string[]): Record<string, unknown> | null {
  const fields = allowedFields('transaction', permissions);
  if (fields.size === 0 || !isDirectionAllowed(transaction.CreditDebitIndicator, permissions)) return null;
  const out = pick(transaction, fields);
  const showPan = permissions.includes(READ_PAN);
  if (!showPan) {
    for (const key of ['CreditorAccount', 'DebtorAccount']) {
      if (out[key] !== undefined) out[key] = maskPanIdentification(out[key], false);
    }
    const card = out.CardInstrument;
    if (typeof card === 'object' && card !== null && typeof (card as Record<string, unknown>).Identification === 'string') {
      const identification = (card as Record<string, unknown>).Identification as string;
      out.CardInstrument = { ...(card as Record<string, unknown>), Identification: maskPan(identification) };
    }
  }
  return out;
}
