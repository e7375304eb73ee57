import { Body, Controller, Delete, Get, HttpCode, Ip, Post, Query, UseGuards } from '@nestjs/common';

import { InteractionId } from '../security/tpp-principal.js';
import { CreateSessionDto } from '../sessions/create-session.dto.js';
import { SessionToken, SessionUser } from '../sessions/session-auth.guard.js';
import { IssuedSession, SessionSubject } from '../sessions/session.store.js';
import { AdminAccess } from './admin-access.js';
import { AdminAuthGuard } from './admin-auth.guard.js';
import { AdminService, AuditEventsPage } from './admin.service.js';
import { AuditEventsQueryDto } from './audit/audit-events-query.dto.js';

/** The bank's administration API: two-factor sign-in (any admin) and the audit trail (the auditor's). */
@Controller('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Post('sessions')
  @HttpCode(201)
  @AdminAccess('public')
  signIn(@Body() body: CreateSessionDto, @Ip() ip: string, @InteractionId() interactionId: string): Promise<IssuedSession> {
    return this.admin.signIn(body, ip, interactionId);
  }

  @Delete('sessions/current')
  @HttpCode(204)
  @UseGuards(AdminAuthGuard)
  @AdminAccess('any-admin')
  signOut(@SessionToken() token: string): Promise<void> {
    return this.admin.signOut(token);
  }

  @Get('audit-events')
  @UseGuards(AdminAuthGuard)
  @AdminAccess('auditor')
  auditEvents(@Query() query: AuditEventsQueryDto, @SessionUser() admin: SessionSubject, @InteractionId() interactionId: string): Promise<AuditEventsPage> {
    return this.admin.listAuditEvents(query, admin.subjectId, interactionId);
  }
}
