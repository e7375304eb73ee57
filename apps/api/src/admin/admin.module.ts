import { Module } from '@nestjs/common';

import { AdminAuthGuard } from './admin-auth.guard.js';
import { AdminSessionStrategy } from './admin-session.strategy.js';
import { AdminController } from './admin.controller.js';
import { AdminService } from './admin.service.js';
import { AuditAdminController } from './audit-admin.controller.js';
import { AuditChainVerificationService } from './audit/audit-chain-verification.service.js';
import { AuditExportService } from './audit/audit-export.service.js';
import { AuditSearchService } from './audit/audit-search.service.js';

/**
 * The admin API under /admin: two-factor sign-in, the audit trail with its export and chain verification
 * (the TPP routes are TppAdminModule, in tpps/). Its audit services are exported for the admin console's
 * pages, which show the same trail.
 */
@Module({
  controllers: [AdminController, AuditAdminController],
  providers: [AdminService, AuditSearchService, AuditExportService, AuditChainVerificationService, AdminSessionStrategy, AdminAuthGuard],
  exports: [AdminService, AuditSearchService, AuditExportService, AuditChainVerificationService],
})
export class AdminModule {}
