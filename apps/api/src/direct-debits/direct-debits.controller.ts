import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObRead } from '../open-banking/ob-read-request.decorator.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { PageQueryDto } from '../open-banking/page-query.dto.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { DirectDebitsService, OBReadDirectDebit2 } from './direct-debits.service.js';

@ApiTags('Direct debits')
@Controller(AISP_BASE_PATH)
@ConsentProtected('ReadDirectDebits')
export class DirectDebitsController {
  constructor(private readonly service: DirectDebitsService) {}

  @Get('direct-debits')
  @ApiOperation({ operationId: 'GetDirectDebits', summary: 'Direct debits of every account of the consent (OBReadDirectDebit2)' })
  @ApiOkResponse({ description: 'OBReadDirectDebit2' })
  list(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadDirectDebit2> {
    return this.service.read(request);
  }

  @Get('accounts/:AccountId/direct-debits')
  @ApiOperation({ operationId: 'GetAccountsAccountIdDirectDebits', summary: 'Direct debits of one account (OBReadDirectDebit2)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadDirectDebit2' })
  ofAccount(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadDirectDebit2> {
    return this.service.read(request);
  }
}
