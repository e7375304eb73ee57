import type { PaymentConsentAccess } from '@consentry/consents';
import { ObIdPipe } from '@consentry/validation';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';

import { PISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { NoQueryDto } from '../open-banking/page-query.dto.js';
import { ClientCredentialsProtected } from '../security/security.decorators.js';
import { PaymentClientWriteProtected, PaymentSignedQueryProtected, PaymentWritePipeline } from '../security/payment-write.pipeline.js';
import { InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { OBDomesticVRPConsentRequestDto, OBVRPFundsConfirmationRequestDto } from './domestic-vrp.dto.js';
import { DomesticVrpsService, OBDomesticVRPConsentResponse, OBVRPFundsConfirmationResponse } from './domestic-vrps.service.js';

// PUT and PATCH of a VRP consent are in the spec but not served: the route registry answers 405.
@ApiTags('Domestic VRP Consents')
@Controller(`${PISP_BASE_PATH}/domestic-vrp-consents`)
export class DomesticVrpConsentsController {
  constructor(
    private readonly vrps: DomesticVrpsService,
    private readonly pipeline: PaymentWritePipeline,
  ) {}

  @Post()
  @HttpCode(201)
  @PaymentClientWriteProtected()
  @ApiOperation({ operationId: 'domesticVrpConsentsPost', summary: 'Stage a VRP consent with its ControlParameters for the PSU to authorise' })
  @ApiCreatedResponse({ description: 'OBDomesticVRPConsentResponse, status AWAU' })
  create(
    @Req() request: FastifyRequest,
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBDomesticVRPConsentRequestDto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBDomesticVRPConsentResponse> {
    return this.pipeline.run(request, this.vrps.createConsent(tpp.clientId, body, interactionId));
  }

  @Get(':ConsentId')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'domesticVrpConsentsGet', summary: 'One of the TPP\'s own VRP consents' })
  @ApiParam({ name: 'ConsentId' })
  @ApiOkResponse({ description: 'OBDomesticVRPConsentResponse' })
  get(@Tpp() tpp: TppPrincipal, @Param('ConsentId', ObIdPipe) consentId: string, @Query() _query: NoQueryDto): Promise<OBDomesticVRPConsentResponse> {
    return this.vrps.getConsent(tpp.clientId, consentId);
  }

  @Delete(':ConsentId')
  @HttpCode(204)
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'domesticVrpConsentsDelete', summary: 'End a VRP consent (CANC): no VRP after it' })
  @ApiParam({ name: 'ConsentId' })
  @ApiNoContentResponse({ description: 'Deleted' })
  remove(@Tpp() tpp: TppPrincipal, @Param('ConsentId', ObIdPipe) consentId: string, @Query() _query: NoQueryDto, @InteractionId() interactionId: string): Promise<void> {
    return this.vrps.deleteConsent(tpp.clientId, consentId, interactionId);
  }

  // Signed, but no x-idempotency-key (issue 12): the check writes nothing.
  @Post(':ConsentId/funds-confirmation')
  @HttpCode(201)
  @PaymentSignedQueryProtected('domestic-vrp')
  @ApiOperation({ operationId: 'domesticVrpConsentsFundsConfirmation', summary: 'Whether the debtor account covers an amount now (PSU token): Available or NotAvailable; 400 U014 outside the consent\'s window or for an amount one VRP under it could not pay (another currency, above MaximumIndividualAmount)' })
  @ApiParam({ name: 'ConsentId' })
  @ApiCreatedResponse({ description: 'OBVRPFundsConfirmationResponse' })
  fundsConfirmation(
    @Req() request: FastifyRequest,
    @Param('ConsentId', ObIdPipe) _consentId: string,
    @Body() body: OBVRPFundsConfirmationRequestDto,
    @Query() _query: NoQueryDto,
  ): Promise<OBVRPFundsConfirmationResponse> {
    return this.vrps.fundsConfirmation(request.paymentConsent as PaymentConsentAccess, body);
  }
}
