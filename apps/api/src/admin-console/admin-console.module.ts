import { Module } from '@nestjs/common';

import { AdminModule } from '../admin/admin.module.js';
import { PaymentAdminModule } from '../admin/payments/payment-admin.module.js';
import { PageCsrf } from '../dashboard/page-csrf.js';
import { PageCookies } from '../dashboard/page-session.js';
import { AdminConsoleSessionGuard } from './admin-console-session.guard.js';
import { AdminConsoleController } from './admin-console.controller.js';
import { AdminConsoleService } from './admin-console.service.js';
import { PaymentsConsoleController } from './payments-console.controller.js';
import { PaymentReviewsModule } from '../payment-reviews/payment-reviews.module.js';
import { PaymentReviewsConsoleController } from './payment-reviews-console.controller.js';

/** The admin console under /admin-console: pages over the admin API's audit services (AdminModule) and payments (PaymentAdminModule). */
@Module({
  imports: [AdminModule, PaymentAdminModule, PaymentReviewsModule],
  controllers: [AdminConsoleController, PaymentsConsoleController, PaymentReviewsConsoleController],
  providers: [AdminConsoleService, AdminConsoleSessionGuard, PageCsrf, PageCookies],
})
export class AdminConsoleModule {}
