import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { BalancesController } from './balances.controller.js';
import { BalancesService } from './balances.service.js';

@Module({ imports: [SecurityModule], controllers: [BalancesController], providers: [BalancesService] })
export class BalancesModule {}
