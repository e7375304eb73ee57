import { Body, Controller, Get, Param, Post, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import { FastifyReply } from 'fastify';

import { CustomerPaymentConsentsService } from '../customer/customer-payment-consents.service.js';
import { ObIdPipe } from '@consentry/validation';
import { InteractionId } from '../security/tpp-principal.js';
import { DashboardSessionGuard } from './dashboard-session.guard.js';
import { dashboardConsentPaymentsPage, dashboardPaymentsPage, isDashboardPaymentNotice } from './dashboard-payments.views.js';
import { DashboardService } from './dashboard.service.js';
import { DASHBOARD_REALM, signedInHeader } from './dashboard.views.js';
import { PageCsrf } from './page-csrf.js';
import { pageCursorOf, parseCsrfForm } from './page-forms.js';
import { redirectAfterPost, sendPage } from './page-response.js';
import { CurrentPageSession, PageSession } from './page-session.js';
import { PageExceptionFilter } from './page.exception-filter.js';

const REALM = DASHBOARD_REALM;

/**
 * The PSU's payment consents on the dashboard: domestic payments, VRP and funds checks with their
 * payments (payees masked), paged by keyset; a live VRP or funds-confirmation consent can be stopped,
 * with the customer API's own revocation, and a scheduled payment or a standing order cancelled before
 * it runs, each with a CSRF token bound to the session.
 */
@Controller('dashboard/payments')
@UseFilters(new PageExceptionFilter(DASHBOARD_REALM))
@UseGuards(DashboardSessionGuard)
export class DashboardPaymentsController {
  constructor(
    private readonly paymentConsents: CustomerPaymentConsentsService,
    private readonly dashboard: DashboardService,
    private readonly csrf: PageCsrf,
  ) {}

  @Get()
  async list(@CurrentPageSession() session: PageSession, @Query('cursor') cursor: unknown, @Query('notice') notice: unknown, @Res() reply: FastifyReply): Promise<void> {
    const page = await this.paymentConsents.list(session.subject.subjectId, { cursor: pageCursorOf(cursor) });
    const csrf = this.csrf.forSession(REALM.realm, session.token);
    sendPage(
      reply,
      200,
      dashboardPaymentsPage({
        header: signedInHeader(session.subject.displayName, csrf),
        csrf,
        consents: page.consents,
        next: page.next,
        paged: cursor !== undefined,
        notice: isDashboardPaymentNotice(notice) ? notice : undefined,
      }),
    );
  }

  @Get(':ConsentId')
  async payments(@CurrentPageSession() session: PageSession, @Param('ConsentId') consentId: string, @Query('cursor') cursor: unknown, @Res() reply: FastifyReply): Promise<void> {
    const page = await this.paymentConsents.payments(session.subject.subjectId, consentId, { cursor: pageCursorOf(cursor) });
    const csrf = this.csrf.forSession(REALM.realm, session.token);
    sendPage(
      reply,
      200,
      dashboardConsentPaymentsPage({ header: signedInHeader(session.subject.displayName, csrf), csrf, consent: page.consent, payments: page.payments, next: page.next, paged: cursor !== undefined }),
    );
  }

  @Post('scheduled-payments/:PaymentId/cancel')
  async cancelScheduledPayment(
    @CurrentPageSession() session: PageSession,
    @Param('PaymentId', ObIdPipe) paymentId: string,
    @Body() body: unknown,
    @InteractionId() interactionId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    this.csrf.assertForSession(REALM.realm, session.token, parseCsrfForm(body).csrf);
    const outcome = await this.dashboard.cancelPayment(session.subject.subjectId, { scheduledPaymentId: paymentId }, interactionId);
    redirectAfterPost(reply, `${REALM.basePath}/payments?notice=${outcome}`);
  }

  @Post('standing-orders/:StandingOrderId/cancel')
  async cancelStandingOrder(
    @CurrentPageSession() session: PageSession,
    @Param('StandingOrderId', ObIdPipe) standingOrderId: string,
    @Body() body: unknown,
    @InteractionId() interactionId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    this.csrf.assertForSession(REALM.realm, session.token, parseCsrfForm(body).csrf);
    const outcome = await this.dashboard.cancelPayment(session.subject.subjectId, { standingOrderId }, interactionId);
    redirectAfterPost(reply, `${REALM.basePath}/payments?notice=${outcome}`);
  }

  @Post(':ConsentId/revoke')
  async revoke(
    @CurrentPageSession() session: PageSession,
    @Param('ConsentId') consentId: string,
    @Body() body: unknown,
    @InteractionId() interactionId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    this.csrf.assertForSession(REALM.realm, session.token, parseCsrfForm(body).csrf);
    const outcome = await this.dashboard.revoke(session.subject.subjectId, consentId, interactionId);
    redirectAfterPost(reply, `${REALM.basePath}/payments?notice=${outcome}`);
  }
}
