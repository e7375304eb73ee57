import { Controller, Get, HttpCode, Post, Query, Res, UseGuards } from '@nestjs/common';
import { FastifyReply } from 'fastify';

import { AdminAccess } from './admin-access.js';
import { AdminAuthGuard } from './admin-auth.guard.js';
import { InteractionId } from '../security/tpp-principal.js';
import { SessionUser } from '../sessions/session-auth.guard.js';
import { SessionSubject } from '../sessions/session.store.js';
import { AuditChainVerificationResult, AuditChainVerificationService } from './audit/audit-chain-verification.service.js';
import { AuditExportQueryDto, exportFilterOf } from './audit/audit-export-query.dto.js';
import { auditExportHeaders, AuditExportService } from './audit/audit-export.service.js';

/** The admin API's audit tools beside GET /admin/audit-events: export and chain verification (the auditor's). */
@Controller('admin')
@UseGuards(AdminAuthGuard)
@AdminAccess('auditor')
export class AuditAdminController {
  constructor(
    private readonly exports: AuditExportService,
    private readonly verification: AuditChainVerificationService,
  ) {}

  /** The entries matching the filter, oldest first, streamed as CSV or NDJSON. */
  @Get('audit-events/export')
  async export(
    @Query() query: AuditExportQueryDto,
    @SessionUser() admin: SessionSubject,
    @InteractionId() interactionId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const exported = await this.exports.open({ filter: exportFilterOf(query), format: query.format, adminId: admin.subjectId, interactionId, channel: 'api' });
    void reply.status(200).headers(auditExportHeaders(exported)).send(exported.body);
  }

  @Post('audit-chain/verify')
  @HttpCode(200)
  verify(@SessionUser() admin: SessionSubject, @InteractionId() interactionId: string): Promise<AuditChainVerificationResult> {
    return this.verification.verify(admin.subjectId, interactionId, 'api');
  }
}
