import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObRead } from '../open-banking/ob-read-request.decorator.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { PageQueryDto } from '../open-banking/page-query.dto.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { AccountsService, OBReadAccount6 } from './accounts.service.js';


@ApiTags('Accounts')
@Controller(`${AISP_BASE_PATH}/accounts`)
@ConsentProtected('ReadAccountsBasic', 'ReadAccountsDetail')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @ApiOperation({ operationId: 'GetAccounts', summary: 'Accounts of the consent (OBReadAccount6)' })
  @ApiOkResponse({ description: 'OBReadAccount6' })
  list(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadAccount6> {
    return this.accounts.readAccounts(request);
  }

  @Get(':AccountId')
  @ApiOperation({ operationId: 'GetAccountsAccountId', summary: 'One account of the consent (OBReadAccount6)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadAccount6' })
  get(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadAccount6> {
    return this.accounts.readAccounts(request);
  }
}
