import { ObIdPipe } from '@consentry/validation';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';

import { PISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { NoQueryDto } from '../open-banking/page-query.dto.js';
import { ClientCredentialsProtected } from '../security/security.decorators.js';
import { PaymentOrderWriteProtected, PaymentWritePipeline } from '../security/payment-write.pipeline.js';
import { InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { OBWriteDomestic2Dto } from './domestic-payment.dto.js';
import { DomesticPaymentsService, OBWriteDomesticResponse5, OBWritePaymentDetailsResponse1 } from './domestic-payments.service.js';

@ApiTags('Domestic Payments')
@Controller(`${PISP_BASE_PATH}/domestic-payments`)
export class DomesticPaymentsController {
  constructor(
    private readonly payments: DomesticPaymentsService,
    private readonly pipeline: PaymentWritePipeline,
  ) {}

  @Post()
  @HttpCode(201)
  @PaymentOrderWriteProtected('domestic-payment')
  @ApiOperation({ operationId: 'CreateDomesticPayments', summary: 'Make the payment the PSU authorised (OBWriteDomestic2, PSU token)' })
  @ApiCreatedResponse({ description: 'OBWriteDomesticResponse5: ACSP, or RJCT with AM04 when the funds do not cover it' })
  create(
    @Req() request: FastifyRequest,
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBWriteDomestic2Dto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBWriteDomesticResponse5> {
    return this.pipeline.run(request, this.payments.createPayment(tpp.clientId, body, interactionId));
  }

  @Get(':DomesticPaymentId')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'GetDomesticPaymentsDomesticPaymentId', summary: 'One of the TPP\'s domestic payments' })
  @ApiParam({ name: 'DomesticPaymentId' })
  @ApiOkResponse({ description: 'OBWriteDomesticResponse5' })
  get(@Tpp() tpp: TppPrincipal, @Param('DomesticPaymentId', ObIdPipe) paymentId: string, @Query() _query: NoQueryDto): Promise<OBWriteDomesticResponse5> {
    return this.payments.getPayment(tpp.clientId, paymentId);
  }

  @Get(':DomesticPaymentId/payment-details')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'GetDomesticPaymentsDomesticPaymentIdPaymentDetails', summary: 'The payment\'s status at the bank' })
  @ApiParam({ name: 'DomesticPaymentId' })
  @ApiOkResponse({ description: 'OBWritePaymentDetailsResponse1' })
  details(@Tpp() tpp: TppPrincipal, @Param('DomesticPaymentId', ObIdPipe) paymentId: string, @Query() _query: NoQueryDto): Promise<OBWritePaymentDetailsResponse1> {
    return this.payments.paymentDetails(tpp.clientId, paymentId);
  }
}
