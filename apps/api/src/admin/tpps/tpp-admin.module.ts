import { Module } from '@nestjs/common';

import { AdminAuthGuard } from '../admin-auth.guard.js';
import { AdminSessionStrategy } from '../admin-session.strategy.js';
import { TppAdminController } from './tpp-admin.controller.js';
import { TppAdminService } from './tpp-admin.service.js';

/**
 * TPP administration on the admin API. Authenticated exactly as the rest of it: the admin module's guard
 * and session strategy (provided here too, so the module stands on its own).
 */
@Module({ controllers: [TppAdminController], providers: [TppAdminService, AdminSessionStrategy, AdminAuthGuard] })
export class TppAdminModule {}
