import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { StandingOrdersController } from './standing-orders.controller.js';
import { StandingOrdersService } from './standing-orders.service.js';

@Module({ imports: [SecurityModule], controllers: [StandingOrdersController], providers: [StandingOrdersService] })
export class StandingOrdersModule {}
