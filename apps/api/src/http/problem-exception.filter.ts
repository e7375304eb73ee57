import { InvalidCursorError } from '@consentry/banking';
import { ConsentException, ConsentExceptionCode } from '@consentry/consents';
import { TppException, TppExceptionCode } from '@consentry/tpps';
import { ObErrorException, unreachable } from '@consentry/validation';
import { ArgumentsHost, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';

import { AdminAccessException, AdminAccessExceptionCode } from '../admin/admin-access.exception.js';
import { AuditExportException, AuditExportExceptionCode } from '../admin/audit/audit-export.exception.js';
import { LedgerAccountException, LedgerAccountExceptionCode } from '../admin/ledger/ledger-account.exception.js';
import { PaymentViewException, PaymentViewExceptionCode } from '../payment-views/payment-view.exception.js';
import { SessionException, SessionExceptionCode } from '../sessions/session.exception.js';
import { describeFrameworkError } from './framework-error.js';
import { RouteRegistry } from './route-registry.js';

/** The plain problem body of the customer and admin APIs. */
export interface ProblemBody {
  error: string;
  message: string;
}

interface ProblemAnswer {
  status: number;
  body: ProblemBody;
  headers?: Record<string, string>;
}

function sessionAnswer(exception: SessionException): ProblemAnswer {
  switch (exception.code) {
    case SessionExceptionCode.InvalidCredentials:
      return { status: 401, body: { error: 'invalid_credentials', message: exception.message } };
    case SessionExceptionCode.Throttled:
      return {
        status: 429,
        body: { error: 'too_many_requests', message: exception.message },
        headers: { 'retry-after': String(exception.retryAfterSeconds ?? 60) },
      };
    case SessionExceptionCode.Unauthenticated:
      return { status: 401, body: { error: 'unauthenticated', message: exception.message }, headers: { 'www-authenticate': 'Bearer' } };
    default:
      return unreachable(exception.code);
  }
}

function adminAccessAnswer(exception: AdminAccessException): ProblemAnswer {
  switch (exception.code) {
    case AdminAccessExceptionCode.RoleMissing:
      return { status: 403, body: { error: 'forbidden', message: exception.message } };
    default:
      return unreachable(exception.code);
  }
}

function consentAnswer(exception: ConsentException): ProblemAnswer {
  switch (exception.code) {
    case ConsentExceptionCode.NotFound:
      // What was not found, in our own words (a consent, a scheduled payment, a held payment): never input echoed back.
      return { status: 404, body: { error: 'not_found', message: exception.message } };
    case ConsentExceptionCode.InvalidStatus:
    case ConsentExceptionCode.Expired:
    case ConsentExceptionCode.TppNotActive:
      return { status: 409, body: { error: 'invalid_status', message: exception.message } };
    case ConsentExceptionCode.InvalidPermissions:
    case ConsentExceptionCode.InvalidDate:
    case ConsentExceptionCode.AccountNotOwned:
    case ConsentExceptionCode.NoAccountSelected:
    case ConsentExceptionCode.ConsentMismatch:
    case ConsentExceptionCode.DebtorAccountUnfit:
    case ConsentExceptionCode.ControlParametersBreached:
      return { status: 400, body: { error: 'invalid_request', message: exception.message } };
    default:
      return unreachable(exception.code);
  }
}

function tppAnswer(exception: TppException): ProblemAnswer {
  switch (exception.code) {
    case TppExceptionCode.NotFound:
      return { status: 404, body: { error: 'not_found', message: exception.message } };
    case TppExceptionCode.InvalidStatus:
      return { status: 409, body: { error: 'invalid_status', message: exception.message } };
    case TppExceptionCode.InvalidRequest:
      return { status: 400, body: { error: 'invalid_request', message: exception.message } };
    default:
      return unreachable(exception.code);
  }
}

function auditExportAnswer(exception: AuditExportException): ProblemAnswer {
  switch (exception.code) {
    case AuditExportExceptionCode.TooLarge:
      return { status: 422, body: { error: 'export_too_large', message: exception.message } };
    default:
      return unreachable(exception.code);
  }
}

function paymentViewAnswer(exception: PaymentViewException): ProblemAnswer {
  switch (exception.code) {
    case PaymentViewExceptionCode.NotFound:
      return { status: 404, body: { error: 'not_found', message: exception.message } };
    case PaymentViewExceptionCode.InvalidCursor:
      return { status: 400, body: { error: 'invalid_request', message: exception.message } };
    default:
      return unreachable(exception.code);
  }
}

function ledgerAccountAnswer(exception: LedgerAccountException): ProblemAnswer {
  switch (exception.code) {
    case LedgerAccountExceptionCode.NotFound:
      return { status: 404, body: { error: 'not_found', message: exception.message } };
    case LedgerAccountExceptionCode.IdentificationTaken:
      return { status: 409, body: { error: 'identification_taken', message: exception.message } };
    default:
      return unreachable(exception.code);
  }
}

/**
 * The one filter of the customer and admin APIs' transport: every error as `{ error, message }`, each
 * feature's coded exception mapped here.
 */
export class ProblemExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('CustomerAdmin');

  constructor(private readonly routes: RouteRegistry) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const answer = this.answer(exception, request);
    void reply.status(answer.status).headers(answer.headers ?? {}).send(answer.body);
  }

  private answer(exception: unknown, request: FastifyRequest): ProblemAnswer {
    if (exception instanceof SessionException) return sessionAnswer(exception);
    if (exception instanceof AdminAccessException) return adminAccessAnswer(exception);
    if (exception instanceof ConsentException) return consentAnswer(exception);
    if (exception instanceof TppException) return tppAnswer(exception);
    if (exception instanceof AuditExportException) return auditExportAnswer(exception);
    if (exception instanceof PaymentViewException) return paymentViewAnswer(exception);
    if (exception instanceof LedgerAccountException) return ledgerAccountAnswer(exception);
    if (exception instanceof InvalidCursorError) return { status: 400, body: { error: 'invalid_request', message: 'The page cursor is not valid' } };
    if (exception instanceof ObErrorException) {
      const first = exception.errors[0];
      const where = first?.Path ? ` (${first.Path})` : '';
      return { status: exception.status, body: { error: 'invalid_request', message: `${first?.Message ?? exception.message}${where}` } };
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const error = describeFrameworkError(exception, request, this.routes);
      return { status: error.status, body: { error: error.kind, message: error.message }, headers: error.allow ? { allow: error.allow.join(', ') } : undefined };
    }
    this.logger.error(
      `unexpected error on ${request.method} ${request.routeOptions.url ?? 'unknown route'} [${request.interactionId}]`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return { status: 500, body: { error: 'server_error', message: 'An unexpected error occurred' } };
  }
}
