import { Global, Module } from '@nestjs/common';

import { DataAccessAuditor } from './data-access.auditor.js';

/** What every OB resource module shares: the data-access audit. */
@Global()
@Module({ providers: [DataAccessAuditor], exports: [DataAccessAuditor] })
export class OpenBankingModule {}
