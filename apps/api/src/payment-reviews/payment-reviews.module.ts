import { Module } from '@nestjs/common';

import { AdminAuthGuard } from '../admin/admin-auth.guard.js';
import { AdminSessionStrategy } from '../admin/admin-session.strategy.js';
import { PaymentReviewsController } from './payment-reviews.controller.js';
import { PaymentReviewsService } from './payment-reviews.service.js';

/** The review queue of held payments on the admin API; its service is exported for the admin console's page. */
@Module({ controllers: [PaymentReviewsController], providers: [PaymentReviewsService, AdminSessionStrategy, AdminAuthGuard], exports: [PaymentReviewsService] })
export class PaymentReviewsModule {}
