import { ObIdPipe } from '@consentry/validation';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';

import { PISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { NoQueryDto } from '../open-banking/page-query.dto.js';
import { ClientCredentialsProtected } from '../security/security.decorators.js';
import { PaymentClientWriteProtected, PaymentOrderWriteProtected, PaymentWritePipeline } from '../security/payment-write.pipeline.js';
import { InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { OBWriteDomesticScheduled2Dto, OBWriteDomesticScheduledConsent4Dto } from './domestic-scheduled-payment.dto.js';
import {
  DomesticScheduledPaymentsService,
  OBWriteDomesticScheduledConsentResponse5,
  OBWriteDomesticScheduledResponse5,
} from './domestic-scheduled-payments.service.js';
import type { OBWritePaymentDetailsResponse1 } from '../domestic-payments/domestic-payments.service.js';

@ApiTags('Domestic Scheduled Payments')
@Controller(`${PISP_BASE_PATH}/domestic-scheduled-payment-consents`)
export class DomesticScheduledPaymentConsentsController {
  constructor(
    private readonly scheduled: DomesticScheduledPaymentsService,
    private readonly pipeline: PaymentWritePipeline,
  ) {}

  @Post()
  @HttpCode(201)
  @PaymentClientWriteProtected()
  @ApiOperation({ operationId: 'CreateDomesticScheduledPaymentConsents', summary: 'Stage a payment on a set date for the PSU to authorise (OBWriteDomesticScheduledConsent4)' })
  @ApiCreatedResponse({ description: 'OBWriteDomesticScheduledConsentResponse5, status AWAU' })
  create(
    @Req() request: FastifyRequest,
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBWriteDomesticScheduledConsent4Dto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBWriteDomesticScheduledConsentResponse5> {
    return this.pipeline.run(request, this.scheduled.createConsent(tpp.clientId, body, interactionId));
  }

  @Get(':ConsentId')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'GetDomesticScheduledPaymentConsentsConsentId', summary: 'One of the TPP\'s own scheduled payment consents' })
  @ApiParam({ name: 'ConsentId' })
  @ApiOkResponse({ description: 'OBWriteDomesticScheduledConsentResponse5' })
  get(@Tpp() tpp: TppPrincipal, @Param('ConsentId', ObIdPipe) consentId: string, @Query() _query: NoQueryDto): Promise<OBWriteDomesticScheduledConsentResponse5> {
    return this.scheduled.getConsent(tpp.clientId, consentId);
  }
}

@ApiTags('Domestic Scheduled Payments')
@Controller(`${PISP_BASE_PATH}/domestic-scheduled-payments`)
export class DomesticScheduledPaymentsController {
  constructor(
    private readonly scheduled: DomesticScheduledPaymentsService,
    private readonly pipeline: PaymentWritePipeline,
  ) {}

  @Post()
  @HttpCode(201)
  @PaymentOrderWriteProtected('domestic-scheduled-payment')
  @ApiOperation({ operationId: 'CreateDomesticScheduledPayments', summary: 'Place the order the PSU authorised (PSU token): PDNG until its date' })
  @ApiCreatedResponse({ description: 'OBWriteDomesticScheduledResponse5, status PDNG' })
  create(
    @Req() request: FastifyRequest,
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBWriteDomesticScheduled2Dto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBWriteDomesticScheduledResponse5> {
    return this.pipeline.run(request, this.scheduled.createPayment(tpp.clientId, body, interactionId));
  }

  @Get(':DomesticScheduledPaymentId')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'GetDomesticScheduledPaymentsDomesticScheduledPaymentId', summary: 'One of the TPP\'s scheduled payments' })
  @ApiParam({ name: 'DomesticScheduledPaymentId' })
  @ApiOkResponse({ description: 'OBWriteDomesticScheduledResponse5' })
  get(@Tpp() tpp: TppPrincipal, @Param('DomesticScheduledPaymentId', ObIdPipe) paymentId: string, @Query() _query: NoQueryDto): Promise<OBWriteDomesticScheduledResponse5> {
    return this.scheduled.getPayment(tpp.clientId, paymentId);
  }

  @Get(':DomesticScheduledPaymentId/payment-details')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'GetDomesticScheduledPaymentsDomesticScheduledPaymentIdPaymentDetails', summary: 'The scheduled payment\'s status at the bank' })
  @ApiParam({ name: 'DomesticScheduledPaymentId' })
  @ApiOkResponse({ description: 'OBWritePaymentDetailsResponse1' })
  details(@Tpp() tpp: TppPrincipal, @Param('DomesticScheduledPaymentId', ObIdPipe) paymentId: string, @Query() _query: NoQueryDto): Promise<OBWritePaymentDetailsResponse1> {
    return this.scheduled.paymentDetails(tpp.clientId, paymentId);
  }
}
