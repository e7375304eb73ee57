import { ConsentException } from '@consentry/consents';
import { Body, Controller, Get, Param, Post, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import { FastifyReply } from 'fastify';

import { PageCsrf } from '../dashboard/page-csrf.js';
import { parseCsrfForm } from '../dashboard/page-forms.js';
import { redirectAfterPost, sendPage } from '../dashboard/page-response.js';
import { CurrentPageSession, PageSession } from '../dashboard/page-session.js';
import { PageExceptionFilter } from '../dashboard/page.exception-filter.js';
import { reviewReasonOf } from '../payment-reviews/review-reason.js';
import { PaymentReviewsService } from '../payment-reviews/payment-reviews.service.js';
import { InteractionId } from '../security/tpp-principal.js';
import { AdminAccess } from '../admin/admin-access.js';
import { AdminConsoleSessionGuard } from './admin-console-session.guard.js';
import { ADMIN_CONSOLE_REALM } from './admin-console.views.js';
import { isPaymentReviewNotice, PaymentReviewNotice, paymentReviewsConsolePage } from './payment-reviews-console.views.js';

const REALM = ADMIN_CONSOLE_REALM;
const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;

/** The review form's reason, read as the admin API reads it (reviewReasonOf); null when it is not one. */
function reasonOf(body: unknown): string | null {
  return reviewReasonOf(body !== null && typeof body === 'object' ? (body as Record<string, unknown>).reason : undefined);
}

/** The review queue in the admin console: the admin API's service (PaymentReviewsService) as a page with forms. */
@Controller('admin-console/payment-reviews')
@UseFilters(new PageExceptionFilter(ADMIN_CONSOLE_REALM))
@UseGuards(AdminConsoleSessionGuard)
@AdminAccess('payment-reviewer')
export class PaymentReviewsConsoleController {
  constructor(
    private readonly reviews: PaymentReviewsService,
    private readonly csrf: PageCsrf,
  ) {}

  @Get()
  async list(@CurrentPageSession() session: PageSession, @Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    const cursor = typeof query.cursor === 'string' && CURSOR.test(query.cursor) ? query.cursor : undefined;
    const [page, statistics] = await Promise.all([this.reviews.list({ cursor }), this.reviews.ruleStatistics()]);
    const csrf = this.csrf.forSession(REALM.realm, session.token);
    const notice = isPaymentReviewNotice(query.notice) ? query.notice : undefined;
    sendPage(reply, 200, paymentReviewsConsolePage({ username: session.subject.username, csrf, roles: session.subject.roles, page, statistics, notice }));
  }

  @Post(':paymentId/:action')
  async review(
    @CurrentPageSession() session: PageSession,
    @Param('paymentId') paymentId: string,
    @Param('action') action: string,
    @Body() body: unknown,
    @InteractionId() interactionId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    this.csrf.assertForSession(REALM.realm, session.token, parseCsrfForm(body, ['reason']).csrf);
    const reason = reasonOf(body);
    let notice: PaymentReviewNotice = 'invalid';
    if (reason && (action === 'release' || action === 'reject')) {
      const admin = { adminId: session.subject.subjectId, interactionId };
      try {
        notice = (action === 'release' ? await this.reviews.release(paymentId, admin, reason) : await this.reviews.reject(paymentId, admin, reason)).outcome;
      } catch (error) {
        if (!(error instanceof ConsentException)) throw error;
        notice = 'conflict';
      }
    }
    redirectAfterPost(reply, `${REALM.basePath}/payment-reviews?notice=${notice}`);
  }
}
