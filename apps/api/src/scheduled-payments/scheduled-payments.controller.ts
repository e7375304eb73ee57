import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObRead } from '../open-banking/ob-read-request.decorator.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { PageQueryDto } from '../open-banking/page-query.dto.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { ScheduledPaymentsService, OBReadScheduledPayment3 } from './scheduled-payments.service.js';

@ApiTags('Scheduled payments')
@Controller(AISP_BASE_PATH)
@ConsentProtected('ReadScheduledPaymentsBasic', 'ReadScheduledPaymentsDetail')
export class ScheduledPaymentsController {
  constructor(private readonly service: ScheduledPaymentsService) {}

  @Get('scheduled-payments')
  @ApiOperation({ operationId: 'GetScheduledPayments', summary: 'Scheduled payments of every account of the consent (OBReadScheduledPayment3)' })
  @ApiOkResponse({ description: 'OBReadScheduledPayment3' })
  list(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadScheduledPayment3> {
    return this.service.read(request);
  }

  @Get('accounts/:AccountId/scheduled-payments')
  @ApiOperation({ operationId: 'GetAccountsAccountIdScheduledPayments', summary: 'Scheduled payments of one account (OBReadScheduledPayment3)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadScheduledPayment3' })
  ofAccount(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadScheduledPayment3> {
    return this.service.read(request);
  }
}
