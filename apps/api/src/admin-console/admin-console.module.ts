import { Module } from '@nestjs/common';

import { AdminModule } from '../admin/admin.module.js';
import { PageCsrf } from '../dashboard/page-csrf.js';
import { PageCookies } from '../dashboard/page-session.js';
import { AdminConsoleSessionGuard } from './admin-console-session.guard.js';
import { AdminConsoleController } from './admin-console.controller.js';
import { AdminConsoleService } from './admin-console.service.js';

/** The admin audit console under /admin-console: pages over the admin API's audit services (AdminModule). */
@Module({
  imports: [AdminModule],
  controllers: [AdminConsoleController],
  providers: [AdminConsoleService, AdminConsoleSessionGuard, PageCsrf, PageCookies],
})
export class AdminConsoleModule {}
