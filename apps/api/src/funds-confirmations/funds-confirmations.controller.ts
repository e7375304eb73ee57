import type { PaymentConsentAccess } from '@consentry/consents';
import { Body, Controller, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';

import { CBPII_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { NoQueryDto } from '../open-banking/page-query.dto.js';
import { PaymentConsentProtected } from '../security/security.decorators.js';
import { InteractionId } from '../security/tpp-principal.js';
import { OBFundsConfirmation1Dto } from './funds-confirmation.dto.js';
import { FundsConfirmationsService, OBFundsConfirmationResponse1 } from './funds-confirmations.service.js';

@ApiTags('Funds Confirmations')
@Controller(`${CBPII_BASE_PATH}/funds-confirmations`)
export class FundsConfirmationsController {
  constructor(private readonly funds: FundsConfirmationsService) {}

  @Post()
  @HttpCode(201)
  @PaymentConsentProtected('funds-confirmation')
  @ApiOperation({ operationId: 'CreateFundsConfirmations', summary: 'Whether the consent\'s account covers an amount now (PSU token; yes or no, never a balance)' })
  @ApiCreatedResponse({ description: 'OBFundsConfirmationResponse1' })
  create(
    @Req() request: FastifyRequest,
    @Body() body: OBFundsConfirmation1Dto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBFundsConfirmationResponse1> {
    return this.funds.fundsConfirmation(request.paymentConsent as PaymentConsentAccess, body, interactionId);
  }
}
