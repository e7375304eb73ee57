import { Injectable } from '@nestjs/common';

import { PageSessionGuard } from '../dashboard/page-session.js';
import { ADMIN_CONSOLE_REALM } from './admin-console.views.js';

/** An administrator signed in on the console (admin namespace, console cookie). */
@Injectable()
export class AdminConsoleSessionGuard extends PageSessionGuard {
  protected readonly realm = ADMIN_CONSOLE_REALM;
}
