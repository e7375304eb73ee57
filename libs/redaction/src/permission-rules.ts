import { maskPan } from './mask.js';

/** The OB resources whose fields depend on the consent's permissions. */
export type PermissionedResource =
  | 'account'
  | 'balance'
  | 'transaction'
  | 'beneficiary'
  | 'directDebit'
  | 'standingOrder'
  | 'scheduledPayment'
  | 'statement'
  | 'party'
  | 'psuParty'
  | 'product'
  | 'offer';

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

const BENEFICIARY_BASIC_FIELDS = ['AccountId', 'BeneficiaryId', 'BeneficiaryType', 'Reference', 'SupplementaryData'] as const;

const STANDING_ORDER_BASIC_FIELDS = [
  'AccountId',
  'StandingOrderId',
  'NextPaymentDateTime',
  'LastPaymentDateTime',
  'NumberOfPayments',
  'StandingOrderStatusCode',
  'FirstPaymentAmount',
  'NextPaymentAmount',
  'LastPaymentAmount',
  'FinalPaymentAmount',
  'SupplementaryData',
  'MandateRelatedInformation',
  'RemittanceInformation',
] as const;

const SCHEDULED_PAYMENT_BASIC_FIELDS = [
  'AccountId',
  'ScheduledPaymentId',
  'ScheduledPaymentDateTime',
  'ScheduledType',
  'Reference',
  'DebtorReference',
  'InstructedAmount',
] as const;

const STATEMENT_BASIC_FIELDS = [
  'AccountId',
  'StatementId',
  'StatementReference',
  'Type',
  'StartDateTime',
  'EndDateTime',
  'CreationDateTime',
  'StatementDescription',
  'StatementBenefit',
  'StatementFee',
  'StatementInterest',
  'StatementDateTime',
  'StatementRate',
  'StatementValue',
] as const;

const PARTY_FIELDS = [
  'PartyId',
  'PartyNumber',
  'PartyType',
  'Name',
  'FullLegalName',
  'LegalStructure',
  'LEI',
  'BeneficialOwnership',
  'AccountRole',
  'EmailAddress',
  'Phone',
  'Mobile',
  'Relationships',
  'Address',
] as const;

/** Where a creditor's account identification sits in each resource: masked to six and four without ReadPAN. */
const CREDITOR_ACCOUNT = 'CreditorAccount';

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
  // Basic leaves out whom the money goes to (creditor agent and account); Detail shows it.
  beneficiary: {
    ReadBeneficiariesBasic: BENEFICIARY_BASIC_FIELDS,
    ReadBeneficiariesDetail: [...BENEFICIARY_BASIC_FIELDS, 'CreditorAgent', 'CreditorAccount'],
  },
  directDebit: {
    ReadDirectDebits: ['AccountId', 'DirectDebitId', 'DirectDebitStatusCode', 'MandateRelatedInformation', 'Name', 'PreviousPaymentDateTime', 'PreviousPaymentAmount'],
  },
  standingOrder: {
    ReadStandingOrdersBasic: STANDING_ORDER_BASIC_FIELDS,
    ReadStandingOrdersDetail: [...STANDING_ORDER_BASIC_FIELDS, 'CreditorAgent', 'CreditorAccount'],
  },
  scheduledPayment: {
    ReadScheduledPaymentsBasic: SCHEDULED_PAYMENT_BASIC_FIELDS,
    ReadScheduledPaymentsDetail: [...SCHEDULED_PAYMENT_BASIC_FIELDS, 'CreditorAgent', 'CreditorAccount'],
  },
  // Basic leaves out the statement's amounts (balances, totals); Detail shows them.
  statement: {
    ReadStatementsBasic: STATEMENT_BASIC_FIELDS,
    ReadStatementsDetail: [...STATEMENT_BASIC_FIELDS, 'StatementAmount', 'TotalValue'],
  },
  party: { ReadParty: PARTY_FIELDS },
  psuParty: { ReadPartyPSU: PARTY_FIELDS },
  product: {
    ReadProducts: ['AccountId', 'ProductId', 'ProductName', 'ProductType', 'SecondaryProductId', 'MarketingStateId', 'OtherProductType'],
  },
  offer: {
    ReadOffers: ['AccountId', 'OfferId', 'OfferType', 'Description', 'StartDateTime', 'EndDateTime', 'Rate', 'Value', 'Term', 'URL', 'Amount', 'Fee'],
  },
};

/** Permissions that decide which transaction directions are visible. */
export const DIRECTION_PERMISSIONS = { Credit: 'ReadTransactionsCredits', Debit: 'ReadTransactionsDebits' } as const;

/** ReadPAN lets a Detail permission show a card number in full; without it a PAN keeps six and four digits. */
export const READ_PAN = 'ReadPAN';
const PAN_SCHEME = 'UK.OBIE.PAN';

// Caches keyed by the permission set's text, not by the array: each request reads its consent (and so a
// new permissions array) afresh, and a WeakMap keyed by those arrays would gain an entry per request,
// ephemerons the garbage collector has to trace until a full collection drops them.
const MAX_CACHED_PERMISSION_SETS = 1024;

/** A small cache of what is worked out per permission set; the last array asked about is answered at once. */
class PermissionSetCache<T> {
  private readonly byKey = new Map<string, T>();
  private lastPermissions: readonly string[] | null = null;
  private lastValue: T | undefined;

  constructor(private readonly compute: (permissions: readonly string[]) => T) {}

  get(permissions: readonly string[]): T {
    if (permissions === this.lastPermissions) return this.lastValue!;
    const key = permissions.join(',');
    let value = this.byKey.get(key);
    if (value === undefined) {
      if (this.byKey.size >= MAX_CACHED_PERMISSION_SETS) this.byKey.clear();
      value = this.compute(permissions);
      this.byKey.set(key, value);
    }
    this.lastPermissions = permissions;
    this.lastValue = value;
    return value;
  }
}

const fieldCache = new PermissionSetCache<Map<PermissionedResource, Set<string>>>(() => new Map());

/** The fields of `resource` that `permissions` allow (empty: the resource may not be shown at all). */
export function allowedFields(resource: PermissionedResource, permissions: readonly string[]): Set<string> {
  return new Set(allowedFieldsView(resource, permissions));
}

/** Read-only use of the cached set (the filters below never change it). */
function allowedFieldsView(resource: PermissionedResource, permissions: readonly string[]): ReadonlySet<string> {
  // A response filters every record with the same permissions: the set is worked out once per permission set.
  const byResource = fieldCache.get(permissions);
  let fields = byResource.get(resource);
  if (!fields) {
    const rules = PERMISSION_FIELDS[resource];
    fields = new Set<string>();
    for (const permission of permissions) {
      for (const field of rules[permission] ?? []) fields.add(field);
    }
    byResource.set(resource, fields);
  }
  return fields;
}

function pick(source: Record<string, unknown>, fields: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Records are plain objects built by the mappers: own enumerable keys only. (for...in allocates no entry pairs.)
  for (const key in source) {
    const value = source[key];
    if (value !== undefined && fields.has(key)) out[key] = value;
  }
  return out;
}

/** Whether every field of `source` is allowed and set: what pick would copy unchanged. */
function onlyAllowed(source: Record<string, unknown>, fields: ReadonlySet<string>): boolean {
  for (const key in source) {
    if (source[key] === undefined || !fields.has(key)) return false;
  }
  return true;
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
  const fields = allowedFieldsView('account', permissions);
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
  const fields = allowedFieldsView('balance', permissions);
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

/** A transaction filter for one permissions array: what filterTransactionByPermissions does, worked out once. */
export type TransactionFilter = (transaction: Record<string, unknown>) => Record<string, unknown> | null;

const transactionFilters = new PermissionSetCache<TransactionFilter>((permissions) => compileTransactionFilter(permissions));

/**
 * The filter filterTransactionByPermissions applies under `permissions`, with the field set, the allowed
 * directions and ReadPAN looked up once: a page applies it to every transaction. Cached per permission set.
 */
export function transactionFilterFor(permissions: readonly string[]): TransactionFilter {
  return transactionFilters.get(permissions);
}

function compileTransactionFilter(permissions: readonly string[]): TransactionFilter {
  const fields = allowedFieldsView('transaction', permissions);
  if (fields.size === 0) return () => null;
  const credits = isDirectionAllowed('Credit', permissions);
  const debits = isDirectionAllowed('Debit', permissions);
  const showPan = permissions.includes(READ_PAN);
  return (transaction) => {
    const direction = transaction.CreditDebitIndicator;
    if (!(direction === 'Credit' ? credits : direction === 'Debit' && debits)) return null;
    // Under Detail a mapped transaction usually has only allowed fields: then it is returned as it is.
    let out = onlyAllowed(transaction, fields) ? transaction : pick(transaction, fields);
    if (!showPan && (out.CreditorAccount !== undefined || out.DebtorAccount !== undefined || out.CardInstrument !== undefined)) {
      if (out === transaction) out = { ...transaction };
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
  };
}

/**
 * An OB transaction (OBTransaction6) reduced to what `permissions` allow: null when its direction is not
 * consented or no transaction permission is held; Basic drops the Detail-only fields; a card number in
 * CardInstrument, CreditorAccount or DebtorAccount is masked without ReadPAN.
 */
export function filterTransactionByPermissions(transaction: Record<string, unknown>, permissions: readonly string[]): Record<string, unknown> | null {
  return transactionFilterFor(permissions)(transaction);
}

/**
 * Any OB record reduced to what `permissions` allow for its resource, or null when they allow none of
 * it. A creditor account of scheme UK.OBIE.PAN is masked unless the consent holds ReadPAN.
 */
export function filterByPermissions(resource: PermissionedResource, record: Record<string, unknown>, permissions: readonly string[]): Record<string, unknown> | null {
  if (resource === 'account') return filterAccountByPermissions(record, permissions);
  if (resource === 'balance') return filterBalanceByPermissions(record, permissions);
  if (resource === 'transaction') return filterTransactionByPermissions(record, permissions);
  const fields = allowedFieldsView(resource, permissions);
  if (fields.size === 0) return null;
  const out = pick(record, fields);
  if (out[CREDITOR_ACCOUNT] !== undefined) out[CREDITOR_ACCOUNT] = maskPanIdentification(out[CREDITOR_ACCOUNT], permissions.includes(READ_PAN));
  return out;
}
