import { ObErrorException, unreachable } from '@consentry/validation';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';

import { AdminAccessException, AdminAccessExceptionCode } from '../admin/admin-access.exception.js';
import { AuditExportException, AuditExportExceptionCode } from '../admin/audit/audit-export.exception.js';
import { PaymentViewException, PaymentViewExceptionCode } from '../payment-views/payment-view.exception.js';
import { problemBody, renderPage } from './page-html.js';
import { loginPathOf, PageRealm, stylesheetOf } from './page-realm.js';
import { redirectAfterPost, sendPage } from './page-response.js';
import { PageException, PageExceptionCode } from './page.exception.js';

/**
 * The one filter of the pages' transport (the dashboard and the admin console, each with its realm).
 * Answers every error of a realm's pages with a page (or, for a missing session, the way to the
 * sign-in form): a browser user never sees a JSON body, a stack or their own input echoed back.
 */
@Catch()
export class PageExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Pages');

  constructor(private readonly realm: PageRealm) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (reply.sent) return;
    if (exception instanceof PageException) return this.pageAnswer(exception, reply);
    if (exception instanceof AdminAccessException) return this.adminAccessAnswer(exception, reply);
    if (exception instanceof AuditExportException) return this.auditExportAnswer(exception, reply);
    if (exception instanceof PaymentViewException) return this.paymentViewAnswer(exception, reply);
    // The global validation pipe's refusals of a page's path or query parameters (e.g. U+0000 in an id).
    if (exception instanceof ObErrorException && exception.status < 500) {
      return this.problem(reply, exception.status, 'This request could not be handled', 'Go back and try again.');
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      return this.problem(reply, exception.getStatus(), 'This request could not be handled', 'Go back and try again.');
    }
    // Logged once, here, with the interaction id.
    this.logger.error(
      `unexpected error on ${request.method} ${request.routeOptions.url ?? 'unknown route'} [${request.interactionId}]`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    this.problem(reply, 500, 'Something went wrong', 'An unexpected error occurred. Try again in a moment.');
  }

  private pageAnswer(exception: PageException, reply: FastifyReply): void {
    switch (exception.code) {
      case PageExceptionCode.SignInRequired:
        return redirectAfterPost(reply, loginPathOf(this.realm));
      case PageExceptionCode.InvalidCsrf:
        return this.problem(reply, 403, 'This form has expired', 'For your security the form could not be accepted. Go back, reload the page and try again.');
      case PageExceptionCode.InvalidForm:
        return this.problem(reply, 400, 'This form could not be read', 'Go back and check what you entered.');
      default:
        return unreachable(exception.code);
    }
  }

  private adminAccessAnswer(exception: AdminAccessException, reply: FastifyReply): void {
    switch (exception.code) {
      case AdminAccessExceptionCode.RoleMissing:
        return this.problem(
          reply,
          403,
          'Not available to you',
          `This page needs the administrator role “${exception.role}”, which your account does not hold. Ask the bank’s operator to grant it if your work needs it.`,
        );
      default:
        return unreachable(exception.code);
    }
  }

  private auditExportAnswer(exception: AuditExportException, reply: FastifyReply): void {
    switch (exception.code) {
      case AuditExportExceptionCode.TooLarge:
        return this.problem(reply, 422, 'Export refused', `${exception.message}. Narrow the search (a shorter period, one TPP or one consent) and export again.`);
      default:
        return unreachable(exception.code);
    }
  }

  private paymentViewAnswer(exception: PaymentViewException, reply: FastifyReply): void {
    switch (exception.code) {
      case PaymentViewExceptionCode.NotFound:
        return this.problem(reply, 404, 'Not found', 'There is nothing to show at this address.');
      case PaymentViewExceptionCode.InvalidCursor:
        return this.problem(reply, 400, 'This page could not be found', 'The link to this page is not valid. Start again from the first page.');
      default:
        return unreachable(exception.code);
    }
  }

  private problem(reply: FastifyReply, status: number, heading: string, message: string): void {
    sendPage(
      reply,
      status,
      renderPage({
        title: heading,
        narrow: true,
        application: this.realm.application,
        stylesheet: stylesheetOf(this.realm),
        body: problemBody(heading, message, { href: this.realm.basePath, label: 'Back to the start' }),
      }),
    );
  }
}
