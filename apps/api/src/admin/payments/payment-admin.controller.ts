import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';

import { AdminAccess } from '../admin-access.js';
import { AdminAuthGuard } from '../admin-auth.guard.js';
import { InteractionId } from '../../security/tpp-principal.js';
import { SessionUser } from '../../sessions/session-auth.guard.js';
import { SessionSubject } from '../../sessions/session.store.js';
import { AdminPaymentDetail, AdminPaymentsPage, PaymentAdminService } from './payment-admin.service.js';
import { AdminPaymentsQueryDto } from './payments-query.dto.js';

/** Payments on the admin API: list (keyset-paged, filtered) and one with its audit events. An admin session with the payment-reviewer role. */
@Controller('admin/payments')
@UseGuards(AdminAuthGuard)
@AdminAccess('payment-reviewer')
export class PaymentAdminController {
  constructor(private readonly payments: PaymentAdminService) {}

  @Get()
  list(@Query() query: AdminPaymentsQueryDto): Promise<AdminPaymentsPage> {
    const { status, clientId, consentId, from, to, cursor, limit } = query;
    return this.payments.list({ status, clientId, consentId, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined }, { cursor, limit });
  }

  @Get(':PaymentId')
  detail(@Param('PaymentId') paymentId: string, @SessionUser() admin: SessionSubject, @InteractionId() interactionId: string): Promise<AdminPaymentDetail> {
    return this.payments.detail(paymentId, { adminId: admin.subjectId, interactionId, channel: 'api' });
  }
}
