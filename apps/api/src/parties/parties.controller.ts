import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObRead } from '../open-banking/ob-read-request.decorator.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { NoQueryDto, PageQueryDto } from '../open-banking/page-query.dto.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { OBReadParty2, OBReadParty3, PartiesService } from './parties.service.js';

@ApiTags('Parties')
@Controller(AISP_BASE_PATH)
export class PartiesController {
  constructor(private readonly parties: PartiesService) {}

  @Get('accounts/:AccountId/parties')
  @ConsentProtected('ReadParty')
  @ApiOperation({ operationId: 'GetAccountsAccountIdParties', summary: 'Every party of one account (OBReadParty3)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadParty3' })
  ofAccount(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadParty3> {
    return this.parties.readAccountParties(request);
  }

  @Get('accounts/:AccountId/party')
  @ConsentProtected('ReadParty')
  @ApiOperation({ operationId: 'GetAccountsAccountIdParty', summary: 'The owner of one account (OBReadParty2)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadParty2' })
  ownerOfAccount(@ObRead() request: ObReadRequest, @Query() _query: NoQueryDto): Promise<OBReadParty2> {
    return this.parties.readAccountOwner(request);
  }

  @Get('party')
  @ConsentProtected('ReadPartyPSU')
  @ApiOperation({ operationId: 'GetParty', summary: 'The PSU who authorised the consent (OBReadParty2)' })
  @ApiOkResponse({ description: 'OBReadParty2' })
  psu(@ObRead() request: ObReadRequest, @Query() _query: NoQueryDto): Promise<OBReadParty2> {
    return this.parties.readPsuParty(request);
  }
}
