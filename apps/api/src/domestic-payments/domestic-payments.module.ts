import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { DomesticPaymentConsentsController } from './domestic-payment-consents.controller.js';
import { DomesticPaymentsController } from './domestic-payments.controller.js';
import { DomesticPaymentsService } from './domestic-payments.service.js';

/** UK OB v4.0 domestic payments: consents, funds confirmation, payment orders and their status. */
@Module({
  imports: [SecurityModule],
  controllers: [DomesticPaymentConsentsController, DomesticPaymentsController],
  providers: [DomesticPaymentsService],
})
export class DomesticPaymentsModule {}
