import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { ScheduledPaymentsController } from './scheduled-payments.controller.js';
import { ScheduledPaymentsService } from './scheduled-payments.service.js';

@Module({ imports: [SecurityModule], controllers: [ScheduledPaymentsController], providers: [ScheduledPaymentsService] })
export class ScheduledPaymentsModule {}
