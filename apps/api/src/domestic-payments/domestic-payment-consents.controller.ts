import type { PaymentConsentAccess } from '@consentry/consents';
import { ObIdPipe } from '@consentry/validation';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';

import { PISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { NoQueryDto } from '../open-banking/page-query.dto.js';
import { ClientCredentialsProtected, PaymentConsentProtected } from '../security/security.decorators.js';
import { PaymentClientWriteProtected, PaymentWritePipeline } from '../security/payment-write.pipeline.js';
import { InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { OBWriteDomesticConsent4Dto } from './domestic-payment.dto.js';
import {
  DomesticPaymentsService,
  OBWriteDomesticConsentResponse5,
  OBWriteFundsConfirmationResponse1,
} from './domestic-payments.service.js';

@ApiTags('Domestic Payments')
@Controller(`${PISP_BASE_PATH}/domestic-payment-consents`)
export class DomesticPaymentConsentsController {
  constructor(
    private readonly payments: DomesticPaymentsService,
    private readonly pipeline: PaymentWritePipeline,
  ) {}

  @Post()
  @HttpCode(201)
  @PaymentClientWriteProtected()
  @ApiOperation({ operationId: 'CreateDomesticPaymentConsents', summary: 'Stage a domestic payment for the PSU to authorise (OBWriteDomesticConsent4)' })
  @ApiCreatedResponse({ description: 'OBWriteDomesticConsentResponse5, status AWAU' })
  create(
    @Req() request: FastifyRequest,
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBWriteDomesticConsent4Dto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBWriteDomesticConsentResponse5> {
    return this.pipeline.run(request, this.payments.createConsent(tpp.clientId, body, interactionId));
  }

  @Get(':ConsentId')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'GetDomesticPaymentConsentsConsentId', summary: 'One of the TPP\'s own domestic payment consents' })
  @ApiParam({ name: 'ConsentId' })
  @ApiOkResponse({ description: 'OBWriteDomesticConsentResponse5' })
  get(@Tpp() tpp: TppPrincipal, @Param('ConsentId', ObIdPipe) consentId: string, @Query() _query: NoQueryDto): Promise<OBWriteDomesticConsentResponse5> {
    return this.payments.getConsent(tpp.clientId, consentId);
  }

  @Get(':ConsentId/funds-confirmation')
  @PaymentConsentProtected('domestic-payment')
  @ApiOperation({ operationId: 'GetDomesticPaymentConsentsConsentIdFundsConfirmation', summary: 'Whether the debtor account covers the payment now (PSU token)' })
  @ApiParam({ name: 'ConsentId' })
  @ApiOkResponse({ description: 'OBWriteFundsConfirmationResponse1' })
  fundsConfirmation(@Req() request: FastifyRequest, @Param('ConsentId', ObIdPipe) _consentId: string, @Query() _query: NoQueryDto): Promise<OBWriteFundsConfirmationResponse1> {
    return this.payments.fundsConfirmation(request.paymentConsent as PaymentConsentAccess);
  }
}
