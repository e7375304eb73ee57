import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObRead } from '../open-banking/ob-read-request.decorator.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { PageQueryDto } from '../open-banking/page-query.dto.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { BalancesService, OBReadBalance1 } from './balances.service.js';

@ApiTags('Balances')
@Controller(AISP_BASE_PATH)
@ConsentProtected('ReadBalances')
export class BalancesController {
  constructor(private readonly balances: BalancesService) {}

  @Get('balances')
  @ApiOperation({ operationId: 'GetBalances', summary: 'Balances of every account of the consent (OBReadBalance1)' })
  @ApiOkResponse({ description: 'OBReadBalance1' })
  list(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadBalance1> {
    return this.balances.readBalances(request);
  }

  @Get('accounts/:AccountId/balances')
  @ApiOperation({ operationId: 'GetAccountsAccountIdBalances', summary: 'Balances of one account (OBReadBalance1)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadBalance1' })
  ofAccount(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadBalance1> {
    return this.balances.readBalances(request);
  }
}
