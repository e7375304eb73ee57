import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObRead } from '../open-banking/ob-read-request.decorator.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { PageQueryDto } from '../open-banking/page-query.dto.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { BeneficiariesService, OBReadBeneficiary5 } from './beneficiaries.service.js';

@ApiTags('Beneficiaries')
@Controller(AISP_BASE_PATH)
@ConsentProtected('ReadBeneficiariesBasic', 'ReadBeneficiariesDetail')
export class BeneficiariesController {
  constructor(private readonly service: BeneficiariesService) {}

  @Get('beneficiaries')
  @ApiOperation({ operationId: 'GetBeneficiaries', summary: 'Beneficiaries of every account of the consent (OBReadBeneficiary5)' })
  @ApiOkResponse({ description: 'OBReadBeneficiary5' })
  list(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadBeneficiary5> {
    return this.service.read(request);
  }

  @Get('accounts/:AccountId/beneficiaries')
  @ApiOperation({ operationId: 'GetAccountsAccountIdBeneficiaries', summary: 'Beneficiaries of one account (OBReadBeneficiary5)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadBeneficiary5' })
  ofAccount(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadBeneficiary5> {
    return this.service.read(request);
  }
}
