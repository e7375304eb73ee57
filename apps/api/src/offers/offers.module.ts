import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { OffersController } from './offers.controller.js';
import { OffersService } from './offers.service.js';

@Module({ imports: [SecurityModule], controllers: [OffersController], providers: [OffersService] })
export class OffersModule {}
