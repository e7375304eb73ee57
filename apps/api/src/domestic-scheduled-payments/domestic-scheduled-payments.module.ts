import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { DomesticScheduledPaymentConsentsController, DomesticScheduledPaymentsController } from './domestic-scheduled-payments.controller.js';
import { DomesticScheduledPaymentsService } from './domestic-scheduled-payments.service.js';

/** UK OB v4.0 domestic scheduled payments: consents, orders placed for a date, and their status. */
@Module({
  imports: [SecurityModule],
  controllers: [DomesticScheduledPaymentConsentsController, DomesticScheduledPaymentsController],
  providers: [DomesticScheduledPaymentsService],
})
export class DomesticScheduledPaymentsModule {}
