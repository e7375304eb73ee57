import { Controller, Get, Param, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import { FastifyReply } from 'fastify';

import { PaymentAdminService } from '../admin/payments/payment-admin.service.js';
import { PageCsrf } from '../dashboard/page-csrf.js';
import { sendPage } from '../dashboard/page-response.js';
import { CurrentPageSession, PageSession } from '../dashboard/page-session.js';
import { PageExceptionFilter } from '../dashboard/page.exception-filter.js';
import { InteractionId } from '../security/tpp-principal.js';
import { AdminAccess } from '../admin/admin-access.js';
import { AdminConsoleSessionGuard } from './admin-console-session.guard.js';
import { ADMIN_CONSOLE_REALM } from './admin-console.views.js';
import { parsePaymentFilterForm } from './payment-filter.form.js';
import { paymentDetailPage, paymentsConsolePage } from './payments-console.views.js';

const REALM = ADMIN_CONSOLE_REALM;

/** Payments in the admin console: the admin API's listing and detail (PaymentAdminService) as pages. */
@Controller('admin-console/payments')
@UseFilters(new PageExceptionFilter(ADMIN_CONSOLE_REALM))
@UseGuards(AdminConsoleSessionGuard)
@AdminAccess('payment-reviewer')
export class PaymentsConsoleController {
  constructor(
    private readonly payments: PaymentAdminService,
    private readonly csrf: PageCsrf,
  ) {}

  @Get()
  async list(@CurrentPageSession() session: PageSession, @Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    const parsed = parsePaymentFilterForm(query);
    const valid = Object.keys(parsed.errors).length === 0;
    const page = valid ? await this.payments.list(parsed.filter, { cursor: parsed.cursor }) : null;
    const csrf = this.csrf.forSession(REALM.realm, session.token);
    sendPage(reply, valid ? 200 : 400, paymentsConsolePage({ username: session.subject.username, csrf, roles: session.subject.roles, parsed, page }));
  }

  @Get(':PaymentId')
  async detail(@CurrentPageSession() session: PageSession, @Param('PaymentId') paymentId: string, @InteractionId() interactionId: string, @Res() reply: FastifyReply): Promise<void> {
    const detail = await this.payments.detail(paymentId, { adminId: session.subject.subjectId, interactionId, channel: 'console' });
    sendPage(reply, 200, paymentDetailPage(session.subject.username, this.csrf.forSession(REALM.realm, session.token), session.subject.roles, detail));
  }
}
