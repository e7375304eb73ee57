import { unreachable } from '@consentry/validation';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply } from 'fastify';

import { FAPI_INTERACTION_ID_HEADER } from '../fapi-interaction-id.js';
import { RegistrationException, RegistrationExceptionCode } from './registration.exception.js';

function wireError(code: RegistrationExceptionCode): [status: number, error: string] {
  switch (code) {
    case RegistrationExceptionCode.InvalidSoftwareStatement:
    // RFC 7591 has no conflict error: the statement is the one thing wrong with a second registration.
    case RegistrationExceptionCode.AlreadyRegistered:
      return [400, 'invalid_software_statement'];
    case RegistrationExceptionCode.UnapprovedSoftwareStatement:
      return [400, 'unapproved_software_statement'];
    case RegistrationExceptionCode.InvalidClientMetadata:
      return [400, 'invalid_client_metadata'];
    case RegistrationExceptionCode.InvalidRedirectUri:
      return [400, 'invalid_redirect_uri'];
    case RegistrationExceptionCode.InvalidToken:
      return [401, 'invalid_token'];
    default:
      return unreachable(code);
  }
}

function send(reply: FastifyReply, status: number, body: { error: string; error_description: string }): void {
  reply.status(status).header('cache-control', 'no-store').header('content-type', 'application/json; charset=utf-8');
  // RFC 6750 section 3 for the management endpoints' bearer token.
  if (body.error === 'invalid_token') reply.header('www-authenticate', `Bearer error="invalid_token", error_description="${body.error_description}"`);
  reply.send(body);
}

/** RFC 7591 / 7592 errors in the OAuth shape; unexpected errors are logged once and answered generically. */
@Catch()
export class RegistrationExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Registration');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof RegistrationException) {
      const [status, error] = wireError(exception.code);
      return send(reply, status, { error, error_description: exception.description });
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      // 404 (no such route), 405 (a method not served), 415 (not JSON), 413 (too large): the request itself is unusable.
      const error = status === 404 || status === 405 ? 'invalid_request' : 'invalid_client_metadata';
      return send(reply, status, { error, error_description: 'the request could not be processed' });
    }
    const interactionId = reply.raw.getHeader(FAPI_INTERACTION_ID_HEADER);
    this.logger.error(`registration failed [${FAPI_INTERACTION_ID_HEADER}=${String(interactionId)}]`, exception instanceof Error ? exception.stack : String(exception));
    return send(reply, 500, { error: 'server_error', error_description: 'the request could not be completed' });
  }
}
