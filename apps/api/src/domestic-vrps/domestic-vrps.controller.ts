import { ObIdPipe } from '@consentry/validation';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';

import { PISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { NoQueryDto } from '../open-banking/page-query.dto.js';
import { ClientCredentialsProtected } from '../security/security.decorators.js';
import { PaymentOrderWriteProtected, PaymentWritePipeline } from '../security/payment-write.pipeline.js';
import { InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { OBDomesticVRPRequestDto } from './domestic-vrp.dto.js';
import { DomesticVrpsService, OBDomesticVRPDetails, OBDomesticVRPResponse } from './domestic-vrps.service.js';

@ApiTags('Domestic VRPs')
@Controller(`${PISP_BASE_PATH}/domestic-vrps`)
export class DomesticVrpsController {
  constructor(
    private readonly vrps: DomesticVrpsService,
    private readonly pipeline: PaymentWritePipeline,
  ) {}

  @Post()
  @HttpCode(201)
  @PaymentOrderWriteProtected('domestic-vrp')
  @ApiOperation({ operationId: 'domesticVrpPost', summary: 'Make a VRP under an authorised VRP consent (PSU token): U014 outside its ControlParameters' })
  @ApiCreatedResponse({ description: 'OBDomesticVRPResponse: ACSP, or RJCT with AM04 when the funds do not cover it' })
  create(
    @Req() request: FastifyRequest,
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBDomesticVRPRequestDto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBDomesticVRPResponse> {
    return this.pipeline.run(request, this.vrps.createVrp(tpp.clientId, body, interactionId));
  }

  @Get(':DomesticVRPId')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'domesticVrpGet', summary: 'One of the TPP\'s VRPs' })
  @ApiParam({ name: 'DomesticVRPId' })
  @ApiOkResponse({ description: 'OBDomesticVRPResponse' })
  get(@Tpp() tpp: TppPrincipal, @Param('DomesticVRPId', ObIdPipe) paymentId: string, @Query() _query: NoQueryDto): Promise<OBDomesticVRPResponse> {
    return this.vrps.getVrp(tpp.clientId, paymentId);
  }

  @Get(':DomesticVRPId/payment-details')
  @ClientCredentialsProtected('payments')
  @ApiOperation({ operationId: 'domesticVrpPaymentDetailsGet', summary: 'The VRP\'s status at the bank' })
  @ApiParam({ name: 'DomesticVRPId' })
  @ApiOkResponse({ description: 'OBDomesticVRPDetails' })
  details(@Tpp() tpp: TppPrincipal, @Param('DomesticVRPId', ObIdPipe) paymentId: string, @Query() _query: NoQueryDto): Promise<OBDomesticVRPDetails> {
    return this.vrps.vrpDetails(tpp.clientId, paymentId);
  }
}
