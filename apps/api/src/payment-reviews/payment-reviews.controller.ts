import { ReviewOutcome } from '@consentry/consents';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

import { AdminAccess } from '../admin/admin-access.js';
import { AdminAuthGuard } from '../admin/admin-auth.guard.js';
import { InteractionId } from '../security/tpp-principal.js';
import { SessionUser } from '../sessions/session-auth.guard.js';
import { SessionSubject } from '../sessions/session.store.js';
import { PaymentReviewDecisionDto, PaymentReviewsQueryDto } from './payment-review.dto.js';
import { PaymentReviewsPage, PaymentReviewsService } from './payment-reviews.service.js';
import { reviewReasonOf } from './review-reason.js';

/** The review queue of held payments on the admin API. An admin session with the payment-reviewer role. */
@Controller('admin/payment-reviews')
@UseGuards(AdminAuthGuard)
@AdminAccess('payment-reviewer')
export class PaymentReviewsController {
  constructor(private readonly reviews: PaymentReviewsService) {}

  @Get()
  list(@Query() query: PaymentReviewsQueryDto): Promise<PaymentReviewsPage> {
    return this.reviews.list({ cursor: query.cursor, limit: query.limit });
  }

  /** 200 when executed (ACSP, or RJCT AM04 when funds are short); 202 when four-eyes waits for a second admin. */
  @Post(':paymentId/release')
  async release(
    @Param('paymentId') paymentId: string,
    @Body() body: PaymentReviewDecisionDto,
    @SessionUser() admin: SessionSubject,
    @InteractionId() interactionId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReviewOutcome> {
    const outcome = await this.reviews.release(paymentId, { adminId: admin.subjectId, interactionId }, reviewReasonOf(body.reason)!);
    reply.status(outcome.outcome === 'release-requested' ? 202 : 200);
    return outcome;
  }

  @Post(':paymentId/reject')
  @HttpCode(200)
  reject(@Param('paymentId') paymentId: string, @Body() body: PaymentReviewDecisionDto, @SessionUser() admin: SessionSubject, @InteractionId() interactionId: string): Promise<ReviewOutcome> {
    return this.reviews.reject(paymentId, { adminId: admin.subjectId, interactionId }, reviewReasonOf(body.reason)!);
  }
}
