import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { ObReadRequest } from '../open-banking/ob-list.responder.js';
import { ObRead } from '../open-banking/ob-read-request.decorator.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { PageQueryDto } from '../open-banking/page-query.dto.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { ProductsService, OBReadProduct2 } from './products.service.js';

@ApiTags('Products')
@Controller(AISP_BASE_PATH)
@ConsentProtected('ReadProducts')
export class ProductsController {
  constructor(private readonly service: ProductsService) {}

  @Get('products')
  @ApiOperation({ operationId: 'GetProducts', summary: 'Products of every account of the consent (OBReadProduct2)' })
  @ApiOkResponse({ description: 'OBReadProduct2' })
  list(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadProduct2> {
    return this.service.read(request);
  }

  @Get('accounts/:AccountId/product')
  @ApiOperation({ operationId: 'GetAccountsAccountIdProduct', summary: 'Products of one account (OBReadProduct2)' })
  @ApiParam({ name: 'AccountId' })
  @ApiOkResponse({ description: 'OBReadProduct2' })
  ofAccount(@ObRead() request: ObReadRequest, @Query() _query: PageQueryDto): Promise<OBReadProduct2> {
    return this.service.read(request);
  }
}
