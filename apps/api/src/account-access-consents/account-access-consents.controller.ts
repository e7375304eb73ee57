import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';

import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { ClientCredentialsProtected } from '../security/security.decorators.js';
import { InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { AccountAccessConsentsService, OBReadConsentResponse1 } from './account-access-consents.service.js';
import { OBReadConsent1Dto } from './create-account-access-consent.dto.js';

@Controller(`${AISP_BASE_PATH}/account-access-consents`)
@ClientCredentialsProtected()
export class AccountAccessConsentsController {
  constructor(private readonly consents: AccountAccessConsentsService) {}

  @Post()
  @HttpCode(201)
  create(@Tpp() tpp: TppPrincipal, @Body() body: OBReadConsent1Dto, @InteractionId() interactionId: string): Promise<OBReadConsentResponse1> {
    return this.consents.createConsent(tpp.clientId, body, interactionId);
  }

  @Get(':ConsentId')
  get(@Tpp() tpp: TppPrincipal, @Param('ConsentId') consentId: string): Promise<OBReadConsentResponse1> {
    return this.consents.getConsent(tpp.clientId, consentId);
  }

  @Delete(':ConsentId')
  @HttpCode(204)
  delete(@Tpp() tpp: TppPrincipal, @Param('ConsentId') consentId: string, @InteractionId() interactionId: string): Promise<void> {
    return this.consents.deleteConsent(tpp.clientId, consentId, interactionId);
  }
}
