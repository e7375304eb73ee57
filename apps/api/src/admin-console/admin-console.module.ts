import { Module } from '@nestjs/common';

import { AdminService } from '../admin/admin.service.js';
import { PageCsrf } from '../dashboard/page-csrf.js';
import { PageCookies } from '../dashboard/page-session.js';
import { AdminConsoleSessionGuard } from './admin-console-session.guard.js';
import { AdminConsoleController } from './admin-console.controller.js';
import { AdminConsoleService } from './admin-console.service.js';
import { AuditAdminController } from './audit-admin.controller.js';
import { AuditChainVerificationService } from './audit-chain-verification.service.js';
import { AuditExportService } from './audit-export.service.js';
import { AuditSearchService } from './audit-search.service.js';

/**
 * The admin audit console under /admin-console, and the admin API's export and chain verification
 * (GET /admin/audit-events/export, POST /admin/audit-chain/verify) that share its services.
 */
@Module({
  controllers: [AdminConsoleController, AuditAdminController],
  providers: [
    AdminConsoleService,
    AdminService,
    AuditSearchService,
    AuditExportService,
    AuditChainVerificationService,
    AdminConsoleSessionGuard,
    PageCsrf,
    PageCookies,
  ],
})
export class AdminConsoleModule {}
