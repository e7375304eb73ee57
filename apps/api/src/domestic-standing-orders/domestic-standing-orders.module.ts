import { Module } from '@nestjs/common';

import { CustomerAuthGuard } from '../customer/customer-auth.guard.js';
import { CustomerSessionStrategy } from '../customer/customer-session.strategy.js';
import { SecurityModule } from '../security/security.module.js';
import { DomesticStandingOrderConsentsController } from './domestic-standing-order-consents.controller.js';
import { DomesticStandingOrdersController } from './domestic-standing-orders.controller.js';
import { DomesticStandingOrdersService } from './domestic-standing-orders.service.js';

/** UK OB v4.0 domestic standing orders (PIS): consents, orders and their runs' status, and the PSU's cancel. Not the AIS read of standing orders (../standing-orders). */
@Module({
  imports: [SecurityModule],
  controllers: [DomesticStandingOrderConsentsController, DomesticStandingOrdersController],
  providers: [DomesticStandingOrdersService, CustomerSessionStrategy, CustomerAuthGuard],
})
export class DomesticStandingOrdersModule {}
