import { unreachable } from '@consentry/validation';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Injectable, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';

import { FAPI_INTERACTION_ID_HEADER } from '../fapi-interaction-id.js';
import { OidcProviderRef } from '../provider/oidc-provider.ref.js';
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
    default:
      return unreachable(code);
  }
}

/**
 * Errors of the login and consent pages. A request the PSU can fix (a stale form, a broken link) gets a
 * plain page saying what to do. An unexpected error is logged once with the interaction id and ends
 * the journey at the TPP's redirect_uri with `server_error` (state and iss included), so the PSU is
 * never stranded on our error page; only when the interaction itself cannot be found is a page shown.
 */
@Catch()
@Injectable()
export class InteractionExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Interaction');

  constructor(private readonly oidc: OidcProviderRef) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
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
    if (await this.returnToTpp(request, reply)) return;
    return sendPage(reply, 500, problemPage('Something went wrong on our side.'));
  }

  /**
   * Ends the interaction with server_error, which the provider sends to the TPP's redirect_uri. An
   * interaction answered already keeps its answer: the PSU is sent on to it.
   */
  private async returnToTpp(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (reply.raw.headersSent || !this.oidc.ready) return false;
    try {
      if (!reply.sent) reply.hijack();
      reply.raw.setHeader('cache-control', 'no-store');
      const details = await this.oidc.provider.interactionDetails(request.raw, reply.raw);
      if (details.result !== undefined) {
        reply.raw.writeHead(303, { location: details.returnTo, 'content-length': '0' });
        reply.raw.end();
        return true;
      }
      await this.oidc.provider.interactionFinished(request.raw, reply.raw, {
        error: 'server_error',
        error_description: 'the authorization server could not complete the request',
      });
      return true;
    } catch (error) {
      this.logger.error('could not return the PSU to the TPP after an error', error instanceof Error ? error.stack : String(error));
      return false;
    }
  }
}
