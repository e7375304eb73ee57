import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';

import { AdminAccess } from '../admin-access.js';
import { AdminAuthGuard } from '../admin-auth.guard.js';
import { InteractionId } from '../../security/tpp-principal.js';
import { SessionUser } from '../../sessions/session-auth.guard.js';
import { SessionSubject } from '../../sessions/session.store.js';
import { ReidentifyLedgerAccountDto } from './ledger-admin.dto.js';
import { LedgerAccountChanged, LedgerAdminService } from './ledger-admin.service.js';

/** The built-in ledger's back office: close or re-identify an account; the TPPs holding it are told. An admin session with the ledger-operator role. */
@Controller('admin/ledger/accounts')
@UseGuards(AdminAuthGuard)
@AdminAccess('ledger-operator')
export class LedgerAdminController {
  constructor(private readonly ledger: LedgerAdminService) {}

  @Post(':accountId/close')
  @HttpCode(200)
  close(@Param('accountId') accountId: string, @SessionUser() admin: SessionSubject, @InteractionId() interactionId: string): Promise<LedgerAccountChanged> {
    return this.ledger.close(accountId, admin.subjectId, interactionId);
  }

  @Post(':accountId/identification')
  @HttpCode(200)
  reidentify(
    @Param('accountId') accountId: string,
    @Body() body: ReidentifyLedgerAccountDto,
    @SessionUser() admin: SessionSubject,
    @InteractionId() interactionId: string,
  ): Promise<LedgerAccountChanged> {
    return this.ledger.reidentify(accountId, { schemeName: body.SchemeName, identification: body.Identification }, admin.subjectId, interactionId);
  }
}
