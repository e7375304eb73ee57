import { CodedException } from '@consentry/validation';

export enum SecurityExceptionCode {
  /** No Authorization header, or not `DPoP <token>`. */
  MissingAccessToken = 'MissingAccessToken',
  /** Signature, issuer, audience, expiry, type or claims of the access token are wrong. */
  InvalidAccessToken = 'InvalidAccessToken',
  /** The request carries no DPoP header. */
  MissingDpopProof = 'MissingDpopProof',
  /** A DPoP proof that does not match the request, the token or its key. */
  InvalidDpopProof = 'InvalidDpopProof',
  /** A DPoP proof whose jti was already used (RFC 9449 11.1). */
  ReplayedDpopProof = 'ReplayedDpopProof',
  /** The token's client is unknown or suspended. */
  TppNotActive = 'TppNotActive',
  /** Discovery or JWKS of the authorization server could not be fetched. */
  IssuerUnavailable = 'IssuerUnavailable',
  /** The token lacks the scope the endpoint needs. */
  InsufficientScope = 'InsufficientScope',
  /** The endpoint needs a client-credentials token, and got a consent-bound one (or the reverse). */
  WrongTokenKind = 'WrongTokenKind',
  /** The TPP does not hold the PSD2 role the endpoint's scope needs (PISP for payments, ...). */
  RoleNotHeld = 'RoleNotHeld',
  /** A consent-bound token used for a consent other than the one the request names. */
  ConsentNotOfToken = 'ConsentNotOfToken',
  /** The token's consent is not authorised, has expired, was revoked, or belongs to another client. */
  ConsentNotUsable = 'ConsentNotUsable',
  /** The consent's re-authentication period has passed (U028 UK.OBIE.Reauthenticate). */
  ReauthenticationRequired = 'ReauthenticationRequired',
  PermissionNotGranted = 'PermissionNotGranted',
  /** The account is not among the consent's accounts (or does not exist: same answer). */
  AccountNotInConsent = 'AccountNotInConsent',
  /** x-fapi-auth-date or x-fapi-customer-ip-address is malformed. */
  FapiHeaderInvalid = 'FapiHeaderInvalid',
  /** PSD2 RTS Art. 36(5)(b): a fifth unattended call within 24 hours for this TPP and account. */
  UnattendedLimitReached = 'UnattendedLimitReached',
  /** The TPP sent more calls than TPP_RATE_LIMIT_PER_MINUTE allows. */
  TppRateLimited = 'TppRateLimited',
}

/** A request the resource server refuses on authentication or authorisation grounds. */
export class SecurityException extends CodedException<SecurityExceptionCode> {
  constructor(
    code: SecurityExceptionCode,
    message: string,
    /** The header at fault (Authorization or DPoP), reported as the OB error Path. */
    readonly header?: 'Authorization' | 'DPoP' | 'x-fapi-auth-date' | 'x-fapi-customer-ip-address',
    /** Seconds until the refused call may be retried (429). */
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message);
  }
}
