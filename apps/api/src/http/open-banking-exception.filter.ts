import { ConsentException, ConsentExceptionCode } from '@consentry/consents';
import { ConnectorUnavailableError, InvalidCursorError } from '@consentry/banking';
import { MESSAGE_SIGNATURE_HEADER, MessageSignatureError, MessageSignatureErrorCode } from '@consentry/message-signing';
import { buildObErrorResponse, ObErrorCode, OBError1, ObErrorException, unreachable } from '@consentry/validation';
import { ArgumentsHost, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';

import { IDEMPOTENCY_KEY_HEADER } from '../idempotency/idempotency-key.guard.js';
import { IdempotencyException, IdempotencyExceptionCode } from '../idempotency/idempotency.exception.js';
import { SecurityException, SecurityExceptionCode } from '../security/security.exception.js';
import { StatementException } from '../statements/statement.exception.js';
import { describeFrameworkError, FrameworkErrorKind } from './framework-error.js';
import { RouteRegistry } from './route-registry.js';

interface ObAnswer {
  status: number;
  errors: OBError1[];
  headers?: Record<string, string>;
}

// FAPI 2.0 / RFC 9449 7.1: a DPoP-protected resource challenges with the DPoP scheme and its algorithms.
const DPOP_ALGS = 'algs="PS256 ES256"';

function challenge(error: 'invalid_token' | 'invalid_dpop_proof' | 'insufficient_scope' | null, description: string): Record<string, string> {
  const params = error ? `error="${error}", error_description="${description}", ${DPOP_ALGS}` : DPOP_ALGS;
  return { 'www-authenticate': `DPoP ${params}` };
}

function one(status: number, errorCode: string, message: string, path?: string, headers?: Record<string, string>): ObAnswer {
  return { status, errors: [{ ErrorCode: errorCode, Message: message, ...(path ? { Path: path } : {}) }], headers };
}

function securityAnswer(exception: SecurityException): ObAnswer {
  const header = exception.header;
  switch (exception.code) {
    case SecurityExceptionCode.MissingAccessToken:
      return one(401, ObErrorCode.HeaderMissing, exception.message, header ?? 'Authorization', challenge(null, ''));
    case SecurityExceptionCode.InvalidAccessToken:
      return one(401, ObErrorCode.HeaderInvalid, exception.message, header ?? 'Authorization', challenge('invalid_token', 'The access token is not valid'));
    case SecurityExceptionCode.TppNotActive:
      return one(401, ObErrorCode.HeaderInvalid, exception.message, 'Authorization', challenge('invalid_token', 'The client is not active'));
    case SecurityExceptionCode.InvalidDpopProof:
      return one(401, ObErrorCode.HeaderInvalid, exception.message, 'DPoP', challenge('invalid_dpop_proof', 'The DPoP proof is not valid'));
    case SecurityExceptionCode.MissingDpopProof:
      return one(401, ObErrorCode.HeaderMissing, exception.message, 'DPoP', challenge('invalid_dpop_proof', 'A DPoP proof is required'));
    case SecurityExceptionCode.ReplayedDpopProof:
      return one(401, ObErrorCode.HeaderInvalid, exception.message, 'DPoP', challenge('invalid_dpop_proof', 'The DPoP proof was already used'));
    case SecurityExceptionCode.InsufficientScope:
      return one(403, ObErrorCode.OtherReason, exception.message, undefined, challenge('insufficient_scope', 'The token lacks the scope this resource needs'));
    case SecurityExceptionCode.WrongTokenKind:
    case SecurityExceptionCode.RoleNotHeld:
    case SecurityExceptionCode.ConsentNotOfToken:
      return one(403, ObErrorCode.OtherReason, exception.message);
    case SecurityExceptionCode.ConsentNotUsable:
      return one(403, ObErrorCode.ResourceInvalidConsentStatus, exception.message);
    case SecurityExceptionCode.ReauthenticationRequired:
      return one(403, ObErrorCode.Reauthenticate, exception.message);
    case SecurityExceptionCode.PermissionNotGranted:
      return one(403, ObErrorCode.OtherReason, exception.message);
    case SecurityExceptionCode.AccountNotInConsent:
      return one(403, ObErrorCode.ResourceNotFound, exception.message, 'AccountId');
    case SecurityExceptionCode.FapiHeaderInvalid:
      return one(400, ObErrorCode.HeaderInvalid, exception.message, header);
    case SecurityExceptionCode.UnattendedLimitReached:
    case SecurityExceptionCode.TppRateLimited:
      return one(429, ObErrorCode.OtherReason, exception.message, undefined, { 'retry-after': String(exception.retryAfterSeconds ?? 60) });
    case SecurityExceptionCode.IssuerUnavailable:
      return one(503, ObErrorCode.UnexpectedError, 'The authorization server cannot be reached; try again later');
    default:
      return unreachable(exception.code);
  }
}

function consentAnswer(exception: ConsentException): ObAnswer {
  switch (exception.code) {
    case ConsentExceptionCode.NotFound:
      // Another TPP's consent and a missing one get the same answer.
      return one(404, ObErrorCode.ResourceNotFound, 'No such consent', 'ConsentId');
    case ConsentExceptionCode.InvalidPermissions:
      return one(400, exception.errorCode ?? ObErrorCode.FieldInvalid, exception.message, exception.path ?? 'Data.Permissions');
    case ConsentExceptionCode.InvalidDate:
      return one(400, exception.errorCode ?? ObErrorCode.FieldInvalidDate, exception.message, exception.path);
    case ConsentExceptionCode.InvalidStatus:
    case ConsentExceptionCode.Expired:
    case ConsentExceptionCode.TppNotActive:
      return one(400, ObErrorCode.ResourceInvalidConsentStatus, exception.message);
    case ConsentExceptionCode.AccountNotOwned:
    case ConsentExceptionCode.NoAccountSelected:
    case ConsentExceptionCode.DebtorAccountUnfit:
      return one(400, exception.errorCode ?? ObErrorCode.FieldInvalid, exception.message, exception.path);
    case ConsentExceptionCode.ConsentMismatch:
      return one(400, ObErrorCode.ResourceConsentMismatch, exception.message, exception.path);
    case ConsentExceptionCode.ControlParametersBreached:
      return one(400, ObErrorCode.RulesFailsControlParameters, exception.message, exception.path);
    default:
      return unreachable(exception.code);
  }
}

// UK OB: Path names the JOSE header claim at fault (U016, U017), else the header itself.
function messageSignatureAnswer(error: MessageSignatureError): ObAnswer {
  switch (error.code) {
    case MessageSignatureErrorCode.Missing:
      return one(400, ObErrorCode.SignatureMissing, error.message, MESSAGE_SIGNATURE_HEADER);
    case MessageSignatureErrorCode.Malformed:
      return one(400, ObErrorCode.SignatureMalformed, error.message, MESSAGE_SIGNATURE_HEADER);
    case MessageSignatureErrorCode.MissingClaim:
      return one(400, ObErrorCode.SignatureMissingClaim, error.message, error.claim ?? MESSAGE_SIGNATURE_HEADER);
    case MessageSignatureErrorCode.InvalidClaim:
      return one(400, ObErrorCode.SignatureInvalidClaim, error.message, error.claim ?? MESSAGE_SIGNATURE_HEADER);
    case MessageSignatureErrorCode.InvalidSignature:
      return one(400, ObErrorCode.SignatureInvalid, error.message, MESSAGE_SIGNATURE_HEADER);
    default:
      return unreachable(error.code);
  }
}

function idempotencyAnswer(exception: IdempotencyException): ObAnswer {
  switch (exception.code) {
    case IdempotencyExceptionCode.KeyMissing:
      return one(400, ObErrorCode.HeaderMissing, exception.message, IDEMPOTENCY_KEY_HEADER);
    case IdempotencyExceptionCode.KeyInvalid:
      return one(400, ObErrorCode.HeaderInvalid, exception.message, IDEMPOTENCY_KEY_HEADER);
    case IdempotencyExceptionCode.KeyReused:
      return one(409, ObErrorCode.ResourceAlreadyExists, exception.message, IDEMPOTENCY_KEY_HEADER);
    default:
      return unreachable(exception.code);
  }
}

function frameworkAnswer(kind: FrameworkErrorKind, status: number, message: string, allow?: string[]): ObAnswer {
  switch (kind) {
    case 'not_found':
      return one(404, ObErrorCode.ResourceNotFound, message);
    case 'method_not_allowed':
      return one(405, ObErrorCode.OtherReason, message, undefined, allow ? { allow: allow.join(', ') } : undefined);
    case 'payload_too_large':
      return one(413, ObErrorCode.ResourceInvalidFormat, message);
    case 'unsupported_media_type':
    case 'malformed_body':
      return one(status, ObErrorCode.ResourceInvalidFormat, message);
    case 'not_acceptable':
      return one(406, ObErrorCode.OtherReason, message);
    case 'bad_request':
      return one(status, ObErrorCode.FieldInvalid, message);
    default:
      return unreachable(kind);
  }
}

/** Writes every error under /open-banking as OBErrorResponse1 with v4.0 U0xx codes. */
export class OpenBankingExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('OpenBanking');

  constructor(private readonly routes: RouteRegistry) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const answer = this.answer(exception, request);
    reply.status(answer.status).headers(answer.headers ?? {});
    const message = answer.status >= 500 ? 'An unexpected error occurred' : (answer.errors[0]?.Message ?? 'The request was refused');
    void reply.send(buildObErrorResponse(answer.status, message, answer.errors));
  }

  private answer(exception: unknown, request: FastifyRequest): ObAnswer {
    if (exception instanceof ObErrorException) return { status: exception.status, errors: exception.errors };
    if (exception instanceof SecurityException) return securityAnswer(exception);
    if (exception instanceof ConsentException) return consentAnswer(exception);
    if (exception instanceof MessageSignatureError) return messageSignatureAnswer(exception);
    if (exception instanceof IdempotencyException) return idempotencyAnswer(exception);
    if (exception instanceof InvalidCursorError) return one(400, ObErrorCode.FieldInvalid, 'The page cursor is not valid', 'page');
    if (exception instanceof StatementException) return one(404, ObErrorCode.ResourceNotFound, exception.message, 'StatementId');
    if (exception instanceof ConnectorUnavailableError) {
      // The spec's answer for a bank we cannot reach: 500 UK.OBIE.UnexpectedError, logged without detail.
      this.logger.warn(`bank unavailable on ${request.method} ${request.routeOptions.url ?? 'unknown route'} [${request.interactionId}]: ${exception.message}`);
      return one(500, ObErrorCode.UnexpectedError, 'The bank holding the account cannot be reached; try again later', 'AccountId');
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const error = describeFrameworkError(exception, request, this.routes);
      return frameworkAnswer(error.kind, error.status, error.message, error.allow);
    }
    // Logged once, here, with the interaction id; the client gets no stack, SQL or input back.
    this.logger.error(
      `unexpected error on ${request.method} ${request.routeOptions.url ?? 'unknown route'} [${request.interactionId}]`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return one(500, ObErrorCode.UnexpectedError, 'An unexpected error occurred');
  }
}
