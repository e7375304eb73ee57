import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { AccountAccessConsentsController } from './account-access-consents.controller.js';
import { AccountAccessConsentsService } from './account-access-consents.service.js';

@Module({
  imports: [SecurityModule],
  controllers: [AccountAccessConsentsController],
  providers: [AccountAccessConsentsService],
})
export class AccountAccessConsentsModule {}
