import type { BankConnector, BankCreditorAccount, BankParty, ListSlice } from './bank-connector.js';
import type { ConnectorOperation } from './connector-protocol.js';

/**
 * What each connector-protocol operation may answer, checked field by field: the one place an upstream's
 * `result` becomes the contract's types (docs/connectors.md). Anything else (a missing or mistyped field,
 * an enum value or a payment outcome outside the contract) is a `ResultShapeError`, which the HTTP
 * connector reports as the bank being unavailable: an answer it cannot read tells nothing of what the bank
 * did. Fields the contract does not name are dropped, so nothing unvetted reaches the API.
 */
export class ResultShapeError extends Error {
  override name = 'ResultShapeError';
}

/** Reads a value as T, or throws ResultShapeError naming the path (never the value: it may be personal data). */
type Shape<T> = (value: unknown, at: string) => T;

function fail(at: string, expected: string): never {
  throw new ResultShapeError(`${at}: expected ${expected}`);
}

// U+0000, or half of a surrogate pair: text PostgreSQL cannot store. A bank's answer carrying it passed the
// contract and failed in the database after the debit (a 500 to the TPP) until 7 December 2026; now it is
// an answer outside the contract, the outcome unknown. (@consentry/validation's rule, written again here:
// the banking lib may not depend on it.)
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const string: Shape<string> = (value, at) =>
  typeof value !== 'string' ? fail(at, 'a string') : UNSTORABLE.test(value) ? fail(at, 'text without U+0000 or half of a surrogate pair') : value;

const boolean: Shape<boolean> = (value, at) => (typeof value === 'boolean' ? value : fail(at, 'a boolean'));

/** A count: total, position, totalPages. */
const count: Shape<number> = (value, at) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : fail(at, 'a count'));

const integer: Shape<number> = (value, at) => (typeof value === 'number' && Number.isSafeInteger(value) ? value : fail(at, 'an integer'));

/** An ISO 8601 instant, revived to a Date by reviveDates (its key ends in DateTime). */
const instant: Shape<Date> = (value, at) => (value instanceof Date && !Number.isNaN(value.getTime()) ? value : fail(at, 'an ISO 8601 date-time'));

// Rule 1 of docs/connectors.md: amounts are decimal strings without sign, except statement balances, of
// OB's Amount pattern (up to 13 digits, up to 5 decimals), and currencies ISO 4217 codes: what the API
// shows the TPP must fit its schema (until 7 December 2026 any digits and any text passed).
const amount: Shape<string> = (value, at) => (typeof value === 'string' && /^\d{1,13}(\.\d{1,5})?$/.test(value) ? value : fail(at, 'an unsigned decimal string of OB Amount'));
const signedAmount: Shape<string> = (value, at) => (typeof value === 'string' && /^-?\d{1,13}(\.\d{1,5})?$/.test(value) ? value : fail(at, 'a decimal string of OB Amount'));
const currency: Shape<string> = (value, at) => (typeof value === 'string' && /^[A-Z]{3}$/.test(value) ? value : fail(at, 'an ISO 4217 currency code'));
/**
 * Text the API shows a TPP as the OB v4.0 field it fills: 1 to `max` characters, counted as Unicode code
 * points as the OB schemas' maxLength counts them (`min` 3 for a merchant category code). Until 7 December
 * 2026 a bank's text of any length passed and the API relayed answers outside the schema (an account
 * Identification of 5,000 characters, an empty TransactionId).
 */
function text(max: number, min = 1): Shape<string> {
  return (value, at) => {
    const read = string(value, at);
    const length = Array.from(read).length;
    return length >= min && length <= max ? read : fail(at, `text of ${min} to ${max} characters`);
  };
}

// A C0 or C1 control character (tab, newline, DEL, ...).
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * A record's id, which keys the API's pages (aggregated-bank.ts): `text(max)` without control characters,
 * as the API's page cursors take their keys. Until 8 December 2026 a BeneficiaryId holding a tab passed,
 * and the API issued Next and Prev links it then refused (400 U002).
 */
function recordId(max: number): Shape<string> {
  const shaped = text(max);
  return (value, at) => {
    const read = shaped(value, at);
    return CONTROL.test(read) ? fail(at, 'an id without control characters') : read;
  };
}

/** A transaction's id, a booked payment's among them (OB's Max210Text). */
const TRANSACTION_ID = 210;

/** A calendar day, YYYY-MM-DD, that exists (an account's opening date). */
const calendarDay: Shape<string> = (value, at) => {
  const read = string(value, at);
  const day = /^\d{4}-\d{2}-\d{2}$/.test(read) ? new Date(`${read}T00:00:00Z`) : null;
  return day && !Number.isNaN(day.getTime()) && day.toISOString().startsWith(read) ? read : fail(at, 'a calendar day (YYYY-MM-DD)');
};

function oneOf<const V extends string>(...values: readonly V[]): Shape<V> {
  return (value, at) => ((values as readonly unknown[]).includes(value) ? (value as V) : fail(at, `one of ${values.join(', ')}`));
}

function nullable<T>(shape: Shape<T>): Shape<T | null> {
  return (value, at) => (value === null ? null : shape(value, at));
}

function arrayOf<T>(shape: Shape<T>): Shape<T[]> {
  return (value, at) => (Array.isArray(value) ? value.map((item: unknown, i) => shape(item, `${at}[${i}]`)) : fail(at, 'an array'));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Fields<T> = { [K in keyof T]-?: Shape<T[K]> };

/** An object with exactly these fields read (others dropped); `optional` ones may be absent (read as null). */
function object<T>(fields: Fields<T>, optional: ReadonlyArray<keyof T> = []): Shape<T> {
  return (value, at) => {
    if (!isRecord(value)) return fail(at, 'an object');
    const read: Partial<T> = {};
    for (const key of Object.keys(fields) as Array<keyof T & string>) {
      const field = Object.hasOwn(value, key) ? value[key] : undefined;
      read[key] = field === undefined && optional.includes(key) ? (null as T[typeof key]) : fields[key](field, `${at}.${key}`);
    }
    return read as T;
  };
}

function slice<T>(item: Shape<T>): Shape<ListSlice<T>> {
  return object<ListSlice<T>>({ items: arrayOf(item), total: count, position: count });
}

const creditDebit = oneOf('Credit', 'Debit');

// OB v4.0's lengths (account-info-openapi.yaml): ids Max40Text, an account's Identification Max256Text and
// Name Max350Text, SecondaryIdentification Max34Text, references Max35Text.
const ID = 40;
const IDENTIFICATION = 256;
const NAME = 350;
const REFERENCE = 35;
// OB's Max70Text, Max140Text, Max256Text, Max500Text; Max16Text for a building number or post code.
const SHORT_NAME = 70;
const LINE = 140;
const LONG = 256;
const DESCRIPTION = 500;
const CODE = 16;
// OB's PhoneNumber pattern (Party.Phone, Party.Mobile), anchored; a country code two capitals (Address.Country).
const phone: Shape<string> = (value, at) => (typeof value === 'string' && /^\+[0-9]{1,3}-[0-9()+-]{1,30}$/.test(value) ? value : fail(at, 'a phone number of OB PhoneNumber'));
const country: Shape<string> = (value, at) => (typeof value === 'string' && /^[A-Z]{2}$/.test(value) ? value : fail(at, 'an ISO 3166 country code'));
// OB's Rate pattern (an offer's rate).
const rate: Shape<string> = (value, at) => (typeof value === 'string' && /^-?\d{1,3}(\.\d{1,4})?$/.test(value) ? value : fail(at, 'a rate of OB Rate'));

const account = object({
  accountId: recordId(ID),
  aspspId: string,
  status: oneOf('Enabled', 'Disabled', 'Deleted', 'Pending', 'ProForma'),
  currency,
  accountCategory: oneOf('Personal', 'Business'),
  // OBExternalAccountSubType1Code.
  accountTypeCode: oneOf(
    'CACC', 'CARD', 'CASH', 'CHAR', 'CISH', 'COMM', 'CPAC', 'LLSV', 'LOAN', 'MGLD', 'MOMA', 'NREX', 'ODFT', 'ONDP', 'OTHR', 'SACC', 'SLRY', 'SVGS', 'TAXE', 'TRAN',
    'TRAS', 'VACC', 'NFCA', 'MORT', 'WALT',
  ),
  description: nullable(text(35)),
  nickname: nullable(text(70)),
  openingDate: nullable(calendarDay),
  schemeName: text(ID),
  identification: text(IDENTIFICATION),
  holderName: text(NAME),
});

const balance = object({
  accountId: string,
  type: oneOf('CLAV', 'CLBD', 'FWAV', 'INFO', 'ITAV', 'ITBD', 'OPAV', 'OPBD', 'PRCD', 'XPCD'),
  amount,
  currency,
  creditDebitIndicator: creditDebit,
  dateTime: instant,
});

const transaction = object({
  transactionId: recordId(TRANSACTION_ID),
  accountId: text(ID),
  transactionReference: nullable(text(TRANSACTION_ID)),
  amount,
  currency,
  creditDebitIndicator: creditDebit,
  status: oneOf('BOOK', 'PDNG', 'FUTR', 'INFO', 'RJCT'),
  bookingDateTime: instant,
  valueDateTime: nullable(instant),
  transactionInformation: nullable(text(500)),
  bankTransactionCode: nullable(object({ code: string, subCode: string })),
  merchantName: nullable(text(NAME)),
  merchantCategoryCode: nullable(text(4, 3)),
  balanceAfter: nullable(object({ amount, creditDebitIndicator: creditDebit })),
});

// prevCursor and lastCursor may be absent: an upstream that predates Prev/Last paging leaves them out.
const transactionPage = object(
  {
    transactions: arrayOf(transaction),
    nextCursor: nullable(string),
    prevCursor: nullable(string),
    lastCursor: nullable(string),
    totalPages: count,
    firstAvailableDateTime: nullable(instant),
    lastAvailableDateTime: nullable(instant),
  },
  ['prevCursor', 'lastCursor'],
);

const transactionSummary = object({
  accountId: string,
  totalPages: count,
  lastCursor: nullable(string),
  firstAvailableDateTime: nullable(instant),
  lastAvailableDateTime: nullable(instant),
});

const creditorAccount = object<BankCreditorAccount>({ schemeName: text(ID), identification: text(IDENTIFICATION), name: nullable(text(NAME)) });

const mandateStatus = oneOf('ACTV', 'CANC', 'EXPI', 'SUSP');

const beneficiary = object({
  accountId: string,
  beneficiaryId: recordId(ID),
  beneficiaryType: nullable(oneOf('Trusted', 'Ordinary')),
  reference: nullable(text(REFERENCE)),
  creditorAgent: nullable(object({ schemeName: text(ID), identification: text(REFERENCE) })),
  creditorAccount,
});

const directDebit = object({
  accountId: string,
  directDebitId: recordId(ID),
  statusCode: mandateStatus,
  mandateIdentification: text(REFERENCE),
  frequency: text(REFERENCE),
  name: text(SHORT_NAME),
  previousPaymentDateTime: nullable(instant),
  previousPaymentAmount: nullable(amount),
  currency,
});

const standingOrder = object({
  accountId: string,
  standingOrderId: recordId(ID),
  statusCode: mandateStatus,
  frequency: text(REFERENCE),
  // Shown as its one RemittanceInformation.Unstructured line (Max140Text).
  reference: nullable(text(140)),
  numberOfPayments: nullable(integer),
  firstPaymentDateTime: instant,
  nextPaymentDateTime: nullable(instant),
  lastPaymentDateTime: nullable(instant),
  finalPaymentDateTime: nullable(instant),
  amount,
  currency,
  creditorAccount,
});

const scheduledPayment = object({
  accountId: string,
  scheduledPaymentId: recordId(ID),
  scheduledPaymentDateTime: instant,
  scheduledType: oneOf('Arrival', 'Execution'),
  reference: nullable(text(REFERENCE)),
  debtorReference: nullable(text(REFERENCE)),
  amount,
  currency,
  creditorAccount,
});

const statement = object({
  accountId: string,
  statementId: recordId(ID),
  statementReference: nullable(text(REFERENCE)),
  type: oneOf('AccountClosure', 'AccountOpening', 'Annual', 'Interim', 'RegularPeriodic'),
  startDateTime: instant,
  endDateTime: instant,
  creationDateTime: instant,
  description: nullable(text(DESCRIPTION)),
  openingBalance: signedAmount,
  closingBalance: signedAmount,
  totalCredits: signedAmount,
  totalDebits: signedAmount,
  currency,
});

const partyFields: Fields<BankParty> = {
  partyId: recordId(ID),
  partyNumber: nullable(text(REFERENCE)),
  partyType: oneOf('Delegate', 'Joint', 'Sole'),
  name: text(NAME),
  fullLegalName: nullable(text(NAME)),
  emailAddress: nullable(text(256)),
  phone: nullable(phone),
  mobile: nullable(phone),
  address: nullable(
    object({ streetName: nullable(text(LINE)), buildingNumber: nullable(text(CODE)), postCode: nullable(text(CODE)), townName: nullable(text(LINE)), country: nullable(country) }),
  ),
};

const party = object(partyFields);

const accountParty = object({ ...partyFields, accountId: string, accountRole: text(SHORT_NAME) });

const product = object({
  accountId: string,
  productId: recordId(ID),
  productName: text(NAME),
  productType: oneOf('BusinessCurrentAccount', 'CommercialCreditCard', 'Other', 'PersonalCurrentAccount', 'SMELoan'),
  secondaryProductId: nullable(text(SHORT_NAME)),
  marketingStateId: nullable(text(REFERENCE)),
});

const offer = object({
  accountId: string,
  offerId: recordId(ID),
  offerType: oneOf('BalanceTransfer', 'LimitIncrease', 'MoneyTransfer', 'Other', 'PromotionalRate'),
  description: text(DESCRIPTION),
  startDateTime: nullable(instant),
  endDateTime: nullable(instant),
  rate: nullable(rate),
  term: nullable(text(DESCRIPTION)),
  url: nullable(text(LONG)),
  amount: nullable(amount),
  fee: nullable(amount),
  currency,
});

const acceptedPayment = object({ outcome: oneOf('Accepted'), transactionId: recordId(TRANSACTION_ID), bookingDateTime: instant });
const rejectedPayment = object({ outcome: oneOf('Rejected'), reason: oneOf('AM04', 'AC06', 'AM03', 'AM02') });

/** `Accepted` or `Rejected`, and nothing else: an outcome outside the contract says nothing of whether the bank debited. */
const paymentResult: Shape<ReturnType<typeof acceptedPayment> | ReturnType<typeof rejectedPayment>> = (value, at) => {
  const outcome = isRecord(value) ? value.outcome : undefined;
  if (outcome === 'Accepted') return acceptedPayment(value, at);
  if (outcome === 'Rejected') return rejectedPayment(value, at);
  return fail(`${at}.outcome`, 'Accepted or Rejected');
};

/** What `operation` answers, as BankConnector types it. */
export type ConnectorResult<O extends ConnectorOperation> = Awaited<ReturnType<BankConnector[O]>>;

/** Every operation's answer; the mapped type makes a new operation without its shape a compile error. */
const RESULT_SHAPES: { [O in ConnectorOperation]: Shape<ConnectorResult<O>> } = {
  listAccountsOfPsu: arrayOf(account),
  findAccounts: arrayOf(account),
  listAccounts: slice(account),
  listBalances: slice(balance),
  listTransactions: transactionPage,
  summarizeTransactions: arrayOf(transactionSummary),
  listBeneficiaries: slice(beneficiary),
  listDirectDebits: slice(directDebit),
  listStandingOrders: slice(standingOrder),
  listScheduledPayments: slice(scheduledPayment),
  listStatements: slice(statement),
  listAccountParties: slice(accountParty),
  findPsuParty: nullable(party),
  listProducts: slice(product),
  listOffers: slice(offer),
  initiatePayment: paymentResult,
  confirmFunds: boolean,
};

/**
 * An upstream's whole answer body (`{ "result": ... }`, parsed with reviveDates) read as the contract's
 * result of `operation`; ResultShapeError when it is anything else.
 */
export function readConnectorResult<O extends ConnectorOperation>(operation: O, body: unknown): ConnectorResult<O> {
  if (!isRecord(body) || !Object.hasOwn(body, 'result')) return fail('body', 'an object with a result');
  const shape: Shape<ConnectorResult<O>> = RESULT_SHAPES[operation];
  return shape(body.result, 'result');
}
