import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { TransactionsModule } from '../transactions/transactions.module.js';
import { StatementsController } from './statements.controller.js';
import { StatementsService } from './statements.service.js';

@Module({ imports: [SecurityModule, TransactionsModule], controllers: [StatementsController], providers: [StatementsService] })
export class StatementsModule {}
