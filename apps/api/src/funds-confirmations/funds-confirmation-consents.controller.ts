import { ObIdPipe } from '@consentry/validation';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { CBPII_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { NoQueryDto } from '../open-banking/page-query.dto.js';
import { ClientCredentialsProtected } from '../security/security.decorators.js';
import { InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { OBFundsConfirmationConsent1Dto } from './funds-confirmation.dto.js';
import { FundsConfirmationsService, OBFundsConfirmationConsentResponse1 } from './funds-confirmations.service.js';

/** The CBPII's consents: client credentials with the fundsconfirmations scope and the CBPII role. No idempotency key (the spec has none). */
@ApiTags('Funds Confirmations')
@Controller(`${CBPII_BASE_PATH}/funds-confirmation-consents`)
@ClientCredentialsProtected('fundsconfirmations')
export class FundsConfirmationConsentsController {
  constructor(private readonly funds: FundsConfirmationsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ operationId: 'CreateFundsConfirmationConsents', summary: 'Ask the PSU for confirmation of funds on one account (OBFundsConfirmationConsent1)' })
  @ApiCreatedResponse({ description: 'OBFundsConfirmationConsentResponse1, status AWAU' })
  create(
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBFundsConfirmationConsent1Dto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBFundsConfirmationConsentResponse1> {
    return this.funds.createConsent(tpp.clientId, body, interactionId);
  }

  @Get(':ConsentId')
  @ApiOperation({ operationId: 'GetFundsConfirmationConsentsConsentId', summary: 'One of the TPP\'s own funds-confirmation consents' })
  @ApiParam({ name: 'ConsentId' })
  @ApiOkResponse({ description: 'OBFundsConfirmationConsentResponse1' })
  get(@Tpp() tpp: TppPrincipal, @Param('ConsentId', ObIdPipe) consentId: string, @Query() _query: NoQueryDto): Promise<OBFundsConfirmationConsentResponse1> {
    return this.funds.getConsent(tpp.clientId, consentId);
  }

  @Delete(':ConsentId')
  @HttpCode(204)
  @ApiOperation({ operationId: 'DeleteFundsConfirmationConsentsConsentId', summary: 'End one of the TPP\'s own funds-confirmation consents' })
  @ApiParam({ name: 'ConsentId' })
  @ApiNoContentResponse({ description: 'Deleted (status CANC; its tokens are revoked)' })
  delete(
    @Tpp() tpp: TppPrincipal,
    @Param('ConsentId', ObIdPipe) consentId: string,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<void> {
    return this.funds.deleteConsent(tpp.clientId, consentId, interactionId);
  }
}
