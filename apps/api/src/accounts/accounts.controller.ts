import type { ConsentAccess } from '@consentry/consents';
import { Controller, Get, Param } from '@nestjs/common';

import { RequestPath } from '../open-banking/ob-response.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { Consent, InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { AccountsService, OBReadAccount6 } from './accounts.service.js';

@Controller(`${AISP_BASE_PATH}/accounts`)
@ConsentProtected('ReadAccountsBasic', 'ReadAccountsDetail')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  list(
    @Tpp() principal: TppPrincipal,
    @Consent() consent: ConsentAccess,
    @RequestPath() requestPath: string,
    @InteractionId() interactionId: string,
  ): Promise<OBReadAccount6> {
    return this.accounts.readAccounts({ principal, consent, requestPath, interactionId });
  }

  @Get(':AccountId')
  get(
    @Param('AccountId') accountId: string,
    @Tpp() principal: TppPrincipal,
    @Consent() consent: ConsentAccess,
    @RequestPath() requestPath: string,
    @InteractionId() interactionId: string,
  ): Promise<OBReadAccount6> {
    return this.accounts.readAccounts({ principal, consent, accountId, requestPath, interactionId });
  }
}
