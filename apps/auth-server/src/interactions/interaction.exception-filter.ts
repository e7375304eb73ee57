import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply } from 'fastify';

import { FAPI_INTERACTION_ID_HEADER } from '../fapi-interaction-id.js';
import { InteractionException, InteractionExceptionCode } from './interaction.exception.js';
import { problemPage } from './interaction.views.js';
import { sendPage } from './page-response.js';

function statusAndMessage(code: InteractionExceptionCode): [number, string] {
  switch (code) {
    case InteractionExceptionCode.SessionNotFound:
      return [400, 'This sign-in has expired or was already completed.'];
    case InteractionExceptionCode.CsrfRejected:
      return [403, 'This form is no longer valid. Go back, reload the page and try again.'];
    case InteractionExceptionCode.NotSignedIn:
      return [400, 'You are not signed in for this request.'];
    case InteractionExceptionCode.InvalidForm:
      return [400, 'The form was not filled in correctly.'];
    default: {
      const unhandled: never = code;
      throw new Error(`unhandled interaction exception ${String(unhandled)}`);
    }
  }
}

/**
 * Errors of the login and consent pages become a plain page for the PSU: what to do next, never a
 * stack trace or an internal message. Unexpected errors are logged once with the interaction id.
 */
@Catch()
export class InteractionExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Interaction');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof InteractionException) {
      const [status, message] = statusAndMessage(exception.code);
      return sendPage(reply, status, problemPage(message));
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      return sendPage(reply, status, problemPage(status === 404 ? 'This page does not exist.' : 'The request could not be completed.'));
    }
    const interactionId = reply.raw.getHeader(FAPI_INTERACTION_ID_HEADER);
    this.logger.error(`interaction failed [${FAPI_INTERACTION_ID_HEADER}=${String(interactionId)}]`, exception instanceof Error ? exception.stack : String(exception));
    return sendPage(reply, 500, problemPage('Something went wrong on our side.'));
  }
}
