import type { ConsentAccess } from '@consentry/consents';
import { Controller, Get, Param } from '@nestjs/common';

import { RequestPath } from '../open-banking/ob-response.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { ConsentProtected } from '../security/security.decorators.js';
import { Consent, InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { BalancesService, OBReadBalance1 } from './balances.service.js';

@Controller(AISP_BASE_PATH)
@ConsentProtected('ReadBalances')
export class BalancesController {
  constructor(private readonly balances: BalancesService) {}

  @Get('balances')
  list(
    @Tpp() principal: TppPrincipal,
    @Consent() consent: ConsentAccess,
    @RequestPath() requestPath: string,
    @InteractionId() interactionId: string,
  ): Promise<OBReadBalance1> {
    return this.balances.readBalances({ principal, consent, requestPath, interactionId });
  }

  @Get('accounts/:AccountId/balances')
  ofAccount(
    @Param('AccountId') accountId: string,
    @Tpp() principal: TppPrincipal,
    @Consent() consent: ConsentAccess,
    @RequestPath() requestPath: string,
    @InteractionId() interactionId: string,
  ): Promise<OBReadBalance1> {
    return this.balances.readBalances({ principal, consent, accountId, requestPath, interactionId });
  }
}
