import { TppStatusCommand, TppView } from '@consentry/tpps';
import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';

import { AdminAccess } from '../admin-access.js';
import { AdminAuthGuard } from '../admin-auth.guard.js';
import { InteractionId } from '../../security/tpp-principal.js';
import { SessionUser } from '../../sessions/session-auth.guard.js';
import { SessionSubject } from '../../sessions/session.store.js';
import { ListTppsQueryDto, ReinstateTppDto, SuspendTppDto } from './tpp-admin.dto.js';
import { TppAdminService, TppListPage } from './tpp-admin.service.js';

/** The bank's administration of TPPs: list, suspend, reinstate. An admin session with the tpp-manager role. */
@Controller('admin/tpps')
@UseGuards(AdminAuthGuard)
@AdminAccess('tpp-manager')
export class TppAdminController {
  constructor(private readonly tpps: TppAdminService) {}

  @Get()
  list(@Query() query: ListTppsQueryDto): Promise<TppListPage> {
    return this.tpps.list(query);
  }

  @Post(':clientId/suspend')
  @HttpCode(200)
  suspend(@Param('clientId') clientId: string, @Body() body: SuspendTppDto, @SessionUser() admin: SessionSubject, @InteractionId() interactionId: string): Promise<TppView> {
    return this.tpps.suspend(new TppStatusCommand({ clientId, adminId: admin.subjectId, interactionId, reason: body.reason }));
  }

  @Post(':clientId/reinstate')
  @HttpCode(200)
  reinstate(@Param('clientId') clientId: string, @Body() body: ReinstateTppDto, @SessionUser() admin: SessionSubject, @InteractionId() interactionId: string): Promise<TppView> {
    return this.tpps.reinstate(new TppStatusCommand({ clientId, adminId: admin.subjectId, interactionId, reason: body.reason }));
  }
}
