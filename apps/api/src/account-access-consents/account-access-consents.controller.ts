import { ObIdPipe } from '@consentry/validation';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { NoQueryDto } from '../open-banking/page-query.dto.js';
import { ClientCredentialsProtected } from '../security/security.decorators.js';
import { InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { AccountAccessConsentsService, OBReadConsentResponse1 } from './account-access-consents.service.js';
import { OBReadConsent1Dto } from './create-account-access-consent.dto.js';

@ApiTags('Account Access')
@Controller(`${AISP_BASE_PATH}/account-access-consents`)
@ClientCredentialsProtected()
export class AccountAccessConsentsController {
  constructor(private readonly consents: AccountAccessConsentsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ operationId: 'CreateAccountAccessConsents', summary: 'Ask for access to a PSU\'s account information (OBReadConsent1 -> OBReadConsentResponse1)' })
  @ApiCreatedResponse({ description: 'OBReadConsentResponse1, status AWAU' })
  create(
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBReadConsent1Dto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBReadConsentResponse1> {
    return this.consents.createConsent(tpp.clientId, body, interactionId);
  }

  @Get(':ConsentId')
  @ApiOperation({ operationId: 'GetAccountAccessConsentsConsentId', summary: 'One of the TPP\'s own consents (OBReadConsentResponse1)' })
  @ApiParam({ name: 'ConsentId' })
  @ApiOkResponse({ description: 'OBReadConsentResponse1' })
  get(@Tpp() tpp: TppPrincipal, @Param('ConsentId', ObIdPipe) consentId: string, @Query() _query: NoQueryDto): Promise<OBReadConsentResponse1> {
    return this.consents.getConsent(tpp.clientId, consentId);
  }

  @Delete(':ConsentId')
  @HttpCode(204)
  @ApiOperation({ operationId: 'DeleteAccountAccessConsentsConsentId', summary: 'Revoke one of the TPP\'s own consents' })
  @ApiParam({ name: 'ConsentId' })
  @ApiNoContentResponse({ description: 'Revoked (status CANC)' })
  delete(
    @Tpp() tpp: TppPrincipal,
    @Param('ConsentId', ObIdPipe) consentId: string,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<void> {
    return this.consents.deleteConsent(tpp.clientId, consentId, interactionId);
  }
}
