import { Module } from '@nestjs/common';

import { CustomerPaymentConsentsService } from '../customer/customer-payment-consents.service.js';
import { CustomerService } from '../customer/customer.service.js';
import { DashboardAlertsController } from './dashboard-alerts.controller.js';
import { DashboardAlertsService } from './dashboard-alerts.service.js';
import { DashboardPaymentsController } from './dashboard-payments.controller.js';
import { DashboardSessionGuard } from './dashboard-session.guard.js';
import { DashboardController } from './dashboard.controller.js';
import { DashboardService } from './dashboard.service.js';
import { PageCsrf } from './page-csrf.js';
import { PageCookies } from './page-session.js';
import { PsuAlertFeed } from './psu-alert-feed.js';

/**
 * The customer dashboard under /dashboard. It uses the customer API's service (sign-in, revocation)
 * rather than a copy of it. Its page kit (page-*.ts) is shared with the admin console.
 */
@Module({
  controllers: [DashboardController, DashboardPaymentsController, DashboardAlertsController],
  providers: [DashboardService, CustomerService, CustomerPaymentConsentsService, DashboardSessionGuard, PageCsrf, PageCookies, DashboardAlertsService, PsuAlertFeed],
})
export class DashboardModule {}
