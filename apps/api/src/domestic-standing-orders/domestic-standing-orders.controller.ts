import { ObIdPipe } from '@consentry/validation';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';

import { NoQueryDto, PageQueryDto } from '../open-banking/page-query.dto.js';
import { PaymentOrderWriteProtected, PaymentWritePipeline } from '../security/payment-write.pipeline.js';
import { ClientCredentialsProtected } from '../security/security.decorators.js';
import { InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { OBWriteDomesticStandingOrder3Dto } from './domestic-standing-order.dto.js';
import {
  DomesticStandingOrdersService,
  OBWriteDomesticStandingOrderResponse6,
  StandingOrderPaymentDetails,
  STANDING_ORDERS_PATH,
} from './domestic-standing-orders.service.js';

@ApiTags('Domestic Standing Orders')
@Controller(STANDING_ORDERS_PATH)
export class DomesticStandingOrdersController {
  constructor(
    private readonly standingOrders: DomesticStandingOrdersService,
    private readonly pipeline: PaymentWritePipeline,
  ) {}

  @Post()
  @HttpCode(201)
  @PaymentOrderWriteProtected('domestic-standing-order')
  @ApiOperation({ operationId: 'CreateDomesticStandingOrders', summary: 'Set up the standing order the PSU authorised (OBWriteDomesticStandingOrder3, PSU token)' })
  @ApiCreatedResponse({ description: 'OBWriteDomesticStandingOrderResponse6, status PDNG until its last run' })
  create(
    @Req() request: FastifyRequest,
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBWriteDomesticStandingOrder3Dto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBWriteDomesticStandingOrderResponse6> {
    return this.pipeline.run(request, this.standingOrders.createOrder(tpp.clientId, body, interactionId));
  }

  @Get(':DomesticStandingOrderId')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'GetDomesticStandingOrdersDomesticStandingOrderId', summary: 'One of the TPP\'s standing orders' })
  @ApiParam({ name: 'DomesticStandingOrderId' })
  @ApiOkResponse({ description: 'OBWriteDomesticStandingOrderResponse6' })
  get(@Tpp() tpp: TppPrincipal, @Param('DomesticStandingOrderId', ObIdPipe) id: string, @Query() _query: NoQueryDto): Promise<OBWriteDomesticStandingOrderResponse6> {
    return this.standingOrders.getOrder(tpp.clientId, id);
  }

  @Get(':DomesticStandingOrderId/payment-details')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'GetDomesticStandingOrdersDomesticStandingOrderIdPaymentDetails', summary: 'The status of each run the bank has made, oldest first, a page at a time (Links.Next, Prev, Last)' })
  @ApiParam({ name: 'DomesticStandingOrderId' })
  @ApiOkResponse({ description: 'OBWritePaymentDetailsResponse1' })
  details(@Tpp() tpp: TppPrincipal, @Param('DomesticStandingOrderId', ObIdPipe) id: string, @Query() query: PageQueryDto): Promise<StandingOrderPaymentDetails> {
    return this.standingOrders.paymentDetails(tpp.clientId, id, query.page);
  }
}
