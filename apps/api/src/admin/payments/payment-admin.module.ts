import { Module } from '@nestjs/common';

import { AdminAuthGuard } from '../admin-auth.guard.js';
import { AdminSessionStrategy } from '../admin-session.strategy.js';
import { PaymentAdminController } from './payment-admin.controller.js';
import { PaymentAdminService } from './payment-admin.service.js';

/**
 * Payments on the admin API, authenticated exactly as the rest of it (the admin module's guard and
 * session strategy, provided here too so the module stands on its own). Its service is exported for the
 * admin console's payment pages.
 */
@Module({ controllers: [PaymentAdminController], providers: [PaymentAdminService, AdminSessionStrategy, AdminAuthGuard], exports: [PaymentAdminService] })
export class PaymentAdminModule {}
