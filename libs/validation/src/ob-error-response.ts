import { randomUUID } from 'node:crypto';

/**
 * The UK OB v4.0 error codes (OBExternalStatusReason1Code, U0xx) the platform answers with, named by
 * the codeset's UK.OBIE.* names.
 */
export const ObErrorCode = {
  UnexpectedError: 'U000',
  FieldExpected: 'U001',
  FieldInvalid: 'U002',
  FieldInvalidDate: 'U003',
  FieldMissing: 'U004',
  FieldUnexpected: 'U005',
  HeaderInvalid: 'U006',
  HeaderMissing: 'U007',
  ResourceConsentMismatch: 'U008',
  ResourceInvalidConsentStatus: 'U009',
  ResourceInvalidFormat: 'U010',
  ResourceNotFound: 'U011',
  /** UK.OBIE.Rules.FailsControlParameters: a VRP outside its consent's ControlParameters. */
  RulesFailsControlParameters: 'U014',
  SignatureInvalid: 'U015',
  SignatureInvalidClaim: 'U016',
  SignatureMissingClaim: 'U017',
  SignatureMalformed: 'U018',
  SignatureMissing: 'U019',
  /** UK.OBIE.Unsupported.EventType: an event subscription names an event type the bank does not notify. */
  UnsupportedEventType: 'U024',
  /** UK.OBIE.Unsupported.Frequency: a standing order Frequency the bank does not run. */
  UnsupportedFrequency: 'U025',
  Reauthenticate: 'U028',
  ResourceAlreadyExists: 'U029',
  OtherReason: 'U042',
} as const;

export type ObErrorCode = (typeof ObErrorCode)[keyof typeof ObErrorCode];

/** OBError1: one problem, with the JSON path of the offending field where there is one. */
export interface OBError1 {
  ErrorCode: string;
  Message: string;
  Path?: string;
  Url?: string;
}

/** OBErrorResponse1 as the v4.0 spec defines it. */
export interface OBErrorResponse1 {
  Code: string;
  Id: string;
  Message: string;
  Errors: OBError1[];
}

// OBError1.Message and Path are at most 500 characters; OBErrorResponse1.Code at most 40.
const MAX_TEXT = 500;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

const REASON_PHRASES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  408: 'RequestTimeout',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  414: 'URITooLong',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  431: 'RequestHeaderFieldsTooLarge',
  500: 'InternalServerError',
};

/**
 * The most errors one answer lists. A body of thousands of unknown fields would otherwise get an answer
 * ten times its size (each error names its field), signed: the first ones tell the TPP what to fix.
 */
export const MAX_LISTED_ERRORS = 20;

/** Builds the wire body of an OB error. `Id` identifies this error instance for support and audit. */
export function buildObErrorResponse(status: number, message: string, errors: OBError1[], id: string = randomUUID()): OBErrorResponse1 {
  const listed = errors.length > MAX_LISTED_ERRORS ? errors.slice(0, MAX_LISTED_ERRORS) : errors;
  const summary = listed === errors ? message : `${message} (the first ${MAX_LISTED_ERRORS} of ${errors.length} errors)`;
  return {
    Code: `${status} ${REASON_PHRASES[status] ?? 'Error'}`,
    Id: id,
    Message: clip(summary),
    Errors: listed.map((error) => ({
      ErrorCode: error.ErrorCode,
      Message: clip(error.Message),
      ...(error.Path ? { Path: clip(error.Path) } : {}),
      ...(error.Url ? { Url: error.Url } : {}),
    })),
  };
}
