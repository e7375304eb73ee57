import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { FundsConfirmationConsentsController } from './funds-confirmation-consents.controller.js';
import { FundsConfirmationsController } from './funds-confirmations.controller.js';
import { FundsConfirmationsService } from './funds-confirmations.service.js';

/** UK OB v4.0 confirmation of funds (CBPII, PSD2 Art. 65): consents and the yes/no funds check. */
@Module({
  imports: [SecurityModule],
  controllers: [FundsConfirmationConsentsController, FundsConfirmationsController],
  providers: [FundsConfirmationsService],
})
export class FundsConfirmationsModule {}
