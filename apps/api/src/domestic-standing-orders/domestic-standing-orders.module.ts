import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { DomesticStandingOrderConsentsController } from './domestic-standing-order-consents.controller.js';
import { DomesticStandingOrdersController } from './domestic-standing-orders.controller.js';
import { DomesticStandingOrdersService } from './domestic-standing-orders.service.js';

/** UK OB v4.0 domestic standing orders (PIS): consents, orders and their runs' status. Not the AIS read of standing orders (../standing-orders). */
@Module({
  imports: [SecurityModule],
  controllers: [DomesticStandingOrderConsentsController, DomesticStandingOrdersController],
  providers: [DomesticStandingOrdersService],
})
export class DomesticStandingOrdersModule {}
