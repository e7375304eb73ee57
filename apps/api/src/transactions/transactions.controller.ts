import type { ConsentAccess } from '@consentry/consents';
import { Controller, Get, Param, Query } from '@nestjs/common';

import { RequestPath } from '../open-banking/ob-response.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { Consent, InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { TransactionsQueryDto } from './transactions-query.dto.js';
import { OBReadTransaction6, TransactionsService } from './transactions.service.js';

@Controller(`${AISP_BASE_PATH}/accounts/:AccountId/transactions`)
@ConsentProtected('ReadTransactionsBasic', 'ReadTransactionsDetail')
export class TransactionsController {
  constructor(private readonly transactions: TransactionsService) {}

  @Get()
  list(
    @Param('AccountId') accountId: string,
    @Query() query: TransactionsQueryDto,
    @Tpp() principal: TppPrincipal,
    @Consent() consent: ConsentAccess,
    @RequestPath() requestPath: string,
    @InteractionId() interactionId: string,
  ): Promise<OBReadTransaction6> {
    return this.transactions.readTransactions({ principal, consent, accountId, query, requestPath, interactionId });
  }
}
