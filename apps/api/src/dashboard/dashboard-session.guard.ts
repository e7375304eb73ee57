import { Injectable } from '@nestjs/common';

import { DASHBOARD_REALM } from './dashboard.views.js';
import { PageSessionGuard } from './page-session.js';

/** A PSU signed in on the dashboard (customer namespace, dashboard cookie). */
@Injectable()
export class DashboardSessionGuard extends PageSessionGuard {
  protected readonly realm = DASHBOARD_REALM;
}
