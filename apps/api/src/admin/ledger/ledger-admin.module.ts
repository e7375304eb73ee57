import { Module } from '@nestjs/common';

import { AdminAuthGuard } from '../admin-auth.guard.js';
import { AdminSessionStrategy } from '../admin-session.strategy.js';
import { LedgerAdminController } from './ledger-admin.controller.js';
import { LedgerAdminService } from './ledger-admin.service.js';

/** The built-in ledger's back office on the admin API, authenticated as the rest of it. */
@Module({ controllers: [LedgerAdminController], providers: [LedgerAdminService, AdminSessionStrategy, AdminAuthGuard] })
export class LedgerAdminModule {}
