import { Injectable } from '@nestjs/common';

import { AdminService } from '../admin/admin.service.js';
import { PageLoginForm } from '../dashboard/page-forms.js';
import { PageSignIn, signInForPage } from '../dashboard/page-sign-in.js';

/**
 * The console's sign-in and sign-out, through the admin API's own service: admin credentials against
 * `admin_user` only, sessions in the admin namespace only.
 */
@Injectable()
export class AdminConsoleService {
  constructor(private readonly admin: AdminService) {}

  signIn(form: PageLoginForm, ip: string, interactionId: string): Promise<PageSignIn> {
    return signInForPage(() => this.admin.signIn({ username: form.username, password: form.password, otp: form.otp }, ip, interactionId));
  }

  signOut(sessionToken: string): Promise<void> {
    return this.admin.signOut(sessionToken);
  }
}
