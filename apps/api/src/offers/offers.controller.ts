import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObRead } from '../open-banking/ob-read-request.decorator.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { PageQueryDto } from '../open-banking/page-query.dto.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { OffersService, OBReadOffer1 } from './offers.service.js';

@ApiTags('Offers')
@Controller(AISP_BASE_PATH)
@ConsentProtected('ReadOffers')
export class OffersController {
  constructor(private readonly service: OffersService) {}

  @Get('offers')
  @ApiOperation({ operationId: 'GetOffers', summary: 'Offers of every account of the consent (OBReadOffer1)' })
  @ApiOkResponse({ description: 'OBReadOffer1' })
  list(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadOffer1> {
    return this.service.read(request);
  }

  @Get('accounts/:AccountId/offers')
  @ApiOperation({ operationId: 'GetAccountsAccountIdOffers', summary: 'Offers of one account (OBReadOffer1)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadOffer1' })
  ofAccount(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadOffer1> {
    return this.service.read(request);
  }
}
