import { ObIdPipe } from '@consentry/validation';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';

import { NoQueryDto } from '../open-banking/page-query.dto.js';
import { PaymentClientWriteProtected, PaymentWritePipeline } from '../security/payment-write.pipeline.js';
import { ClientCredentialsProtected } from '../security/security.decorators.js';
import { InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { OBWriteDomesticStandingOrderConsent5Dto } from './domestic-standing-order.dto.js';
import { DomesticStandingOrdersService, OBWriteDomesticStandingOrderConsentResponse6, STANDING_ORDER_CONSENTS_PATH } from './domestic-standing-orders.service.js';

@ApiTags('Domestic Standing Orders')
@Controller(STANDING_ORDER_CONSENTS_PATH)
export class DomesticStandingOrderConsentsController {
  constructor(
    private readonly standingOrders: DomesticStandingOrdersService,
    private readonly pipeline: PaymentWritePipeline,
  ) {}

  @Post()
  @HttpCode(201)
  @PaymentClientWriteProtected()
  @ApiOperation({ operationId: 'CreateDomesticStandingOrderConsents', summary: 'Stage a standing order for the PSU to authorise (OBWriteDomesticStandingOrderConsent5)' })
  @ApiCreatedResponse({ description: 'OBWriteDomesticStandingOrderConsentResponse6, status AWAU' })
  create(
    @Req() request: FastifyRequest,
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBWriteDomesticStandingOrderConsent5Dto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBWriteDomesticStandingOrderConsentResponse6> {
    return this.pipeline.run(request, this.standingOrders.createConsent(tpp.clientId, body, interactionId));
  }

  @Get(':ConsentId')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'GetDomesticStandingOrderConsentsConsentId', summary: 'One of the TPP\'s own standing order consents' })
  @ApiParam({ name: 'ConsentId' })
  @ApiOkResponse({ description: 'OBWriteDomesticStandingOrderConsentResponse6' })
  get(@Tpp() tpp: TppPrincipal, @Param('ConsentId', ObIdPipe) consentId: string, @Query() _query: NoQueryDto): Promise<OBWriteDomesticStandingOrderConsentResponse6> {
    return this.standingOrders.getConsent(tpp.clientId, consentId);
  }
}
