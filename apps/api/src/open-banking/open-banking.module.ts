import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';

import { DataAccessAuditor } from './data-access.auditor.js';
import { ObListResponder } from './ob-list.responder.js';
import { UnavailableAccountsInterceptor } from './unavailable-accounts.interceptor.js';

/** What every OB resource module shares: the data-access audit and the list responder. */
@Global()
@Module({
  providers: [DataAccessAuditor, ObListResponder, { provide: APP_INTERCEPTOR, useClass: UnavailableAccountsInterceptor }],
  exports: [DataAccessAuditor, ObListResponder],
})
export class OpenBankingModule {}
