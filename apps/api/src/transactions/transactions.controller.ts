import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObRead } from '../open-banking/ob-read-request.decorator.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { TransactionsQueryDto } from './transactions-query.dto.js';
import { OBReadTransaction6, TransactionsService } from './transactions.service.js';

@ApiTags('Transactions')
@Controller(AISP_BASE_PATH)
@ConsentProtected('ReadTransactionsBasic', 'ReadTransactionsDetail')
export class TransactionsController {
  constructor(private readonly transactions: TransactionsService) {}

  @Get('accounts/:AccountId/transactions')
  @ApiOperation({ operationId: 'GetAccountsAccountIdTransactions', summary: 'Transactions of one account, keyset-paged (OBReadTransaction6)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadTransaction6' })
  ofAccount(@ObRead() request: ObReadRequest, @Query() query: TransactionsQueryDto): Promise<OBReadTransaction6> {
    return this.transactions.readAccountTransactions({ ...request, ...query });
  }

  @Get('transactions')
  @ApiOperation({ operationId: 'GetTransactions', summary: 'Transactions of every account of the consent, account by account (OBReadTransaction6)' })
  @ApiOkResponse({ description: 'OBReadTransaction6' })
  list(@ObRead() request: ObReadRequest, @Query() query: TransactionsQueryDto): Promise<OBReadTransaction6> {
    return this.transactions.readBulkTransactions({ ...request, ...query });
  }
}
