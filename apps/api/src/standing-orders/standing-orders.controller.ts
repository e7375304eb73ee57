import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObRead } from '../open-banking/ob-read-request.decorator.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { PageQueryDto } from '../open-banking/page-query.dto.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { StandingOrdersService, OBReadStandingOrder6 } from './standing-orders.service.js';

@ApiTags('Standing orders')
@Controller(AISP_BASE_PATH)
@ConsentProtected('ReadStandingOrdersBasic', 'ReadStandingOrdersDetail')
export class StandingOrdersController {
  constructor(private readonly service: StandingOrdersService) {}

  @Get('standing-orders')
  @ApiOperation({ operationId: 'GetStandingOrders', summary: 'Standing orders of every account of the consent (OBReadStandingOrder6)' })
  @ApiOkResponse({ description: 'OBReadStandingOrder6' })
  list(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadStandingOrder6> {
    return this.service.read(request);
  }

  @Get('accounts/:AccountId/standing-orders')
  @ApiOperation({ operationId: 'GetAccountsAccountIdStandingOrders', summary: 'Standing orders of one account (OBReadStandingOrder6)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadStandingOrder6' })
  ofAccount(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadStandingOrder6> {
    return this.service.read(request);
  }
}
