import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { AccountsController } from './accounts.controller.js';
import { AccountsService } from './accounts.service.js';

@Module({ imports: [SecurityModule], controllers: [AccountsController], providers: [AccountsService] })
export class AccountsModule {}
