import { Global, Module } from '@nestjs/common';

import { DataAccessAuditor } from './data-access.auditor.js';
import { ObListResponder } from './ob-list.responder.js';

/** What every OB resource module shares: the data-access audit and the list responder. */
@Global()
@Module({
  providers: [DataAccessAuditor, ObListResponder],
  exports: [DataAccessAuditor, ObListResponder],
})
export class OpenBankingModule {}
