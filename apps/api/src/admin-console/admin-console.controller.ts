import { Body, Controller, Get, Header, Ip, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';

import { PageCsrf } from '../dashboard/page-csrf.js';
import { parseCsrfForm } from '../dashboard/page-forms.js';
import { PAGE_SECURITY_HEADERS, redirectAfterPost, sendPage } from '../dashboard/page-response.js';
import { CurrentPageSession, PageCookies, PageSession } from '../dashboard/page-session.js';
import { answerLoginForm } from '../dashboard/page-sign-in.js';
import { PageExceptionFilter } from '../dashboard/page.exception-filter.js';
import { PAGE_STYLESHEET } from '../dashboard/page.stylesheet.js';
import { InteractionId } from '../security/tpp-principal.js';
import { AdminAccess } from '../admin/admin-access.js';
import { AdminConsoleSessionGuard } from './admin-console-session.guard.js';
import { AdminConsoleService } from './admin-console.service.js';
import {
  ADMIN_CONSOLE_REALM,
  adminConsoleLoginPage,
  auditEventsPage,
  chainVerificationPage,
  consoleSectionsFor,
  isAdminConsoleNotice,
  noConsoleSectionPage,
} from './admin-console.views.js';
import { AuditChainVerificationService } from '../admin/audit/audit-chain-verification.service.js';
import { auditExportHeaders, AuditExportService } from '../admin/audit/audit-export.service.js';
import { parseAuditCursor, parseAuditExportForm, parseAuditFilterForm } from './audit-filter.form.js';
import { AuditSearchService } from '../admin/audit/audit-search.service.js';

const REALM = ADMIN_CONSOLE_REALM;

/**
 * The bank administrators' audit console: two-factor sign-in (admin accounts only), search the chained
 * audit log, page through it, export a search, verify the chain (the auditor's pages). Exports and
 * verifications are audited.
 */
@Controller('admin-console')
@UseFilters(new PageExceptionFilter(ADMIN_CONSOLE_REALM))
export class AdminConsoleController {
  constructor(
    private readonly console: AdminConsoleService,
    private readonly search: AuditSearchService,
    private readonly exports: AuditExportService,
    private readonly verification: AuditChainVerificationService,
    private readonly cookies: PageCookies,
    private readonly csrf: PageCsrf,
  ) {}

  @Get('assets/pages.css')
  @AdminAccess('public')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  @Header('x-content-type-options', 'nosniff')
  stylesheet(): string {
    return PAGE_STYLESHEET;
  }

  /** Where sign-in lands: the first page the admin's roles open. */
  @Get()
  @UseGuards(AdminConsoleSessionGuard)
  @AdminAccess('any-admin')
  start(@CurrentPageSession() session: PageSession, @Res() reply: FastifyReply): void {
    const [first] = consoleSectionsFor(session.subject.roles);
    if (first) return redirectAfterPost(reply, `${REALM.basePath}/${first.path}`);
    sendPage(reply, 200, noConsoleSectionPage(session.subject.username, this.csrf.forSession(REALM.realm, session.token), session.subject.roles));
  }

  @Get('login')
  @AdminAccess('public')
  showLogin(@Query('notice') notice: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const nonce = this.cookies.loginNonce(request, reply, REALM);
    sendPage(reply, 200, adminConsoleLoginPage({ csrf: this.csrf.forLogin(REALM.realm, nonce), notice: isAdminConsoleNotice(notice) ? notice : undefined }));
  }

  @Post('login')
  @AdminAccess('public')
  async login(
    @Body() body: unknown,
    @Ip() ip: string,
    @InteractionId() interactionId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return answerLoginForm(
      {
        realm: REALM,
        cookies: this.cookies,
        csrf: this.csrf,
        signIn: (form) => this.console.signIn(form, ip, interactionId),
        loginPage: adminConsoleLoginPage,
        landingPath: REALM.basePath,
      },
      body,
      request,
      reply,
    );
  }

  @Post('logout')
  @UseGuards(AdminConsoleSessionGuard)
  @AdminAccess('any-admin')
  async logout(@CurrentPageSession() session: PageSession, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    this.csrf.assertForSession(REALM.realm, session.token, parseCsrfForm(body).csrf);
    await this.console.signOut(session.token);
    this.cookies.clear(reply, REALM, 'session');
    redirectAfterPost(reply, `${REALM.basePath}/login?notice=signed_out`);
  }

  @Get('events')
  @UseGuards(AdminConsoleSessionGuard)
  @AdminAccess('auditor')
  async events(
    @CurrentPageSession() session: PageSession,
    @Query() query: Record<string, unknown>,
    @InteractionId() interactionId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const parsed = parseAuditFilterForm(query);
    const valid = Object.keys(parsed.errors).length === 0;
    const page = valid ? await this.search.searchAsAdmin(parsed.filter, parseAuditCursor(query), { adminId: session.subject.subjectId, interactionId }) : null;
    const csrf = this.csrf.forSession(REALM.realm, session.token);
    sendPage(reply, valid ? 200 : 400, auditEventsPage({ username: session.subject.username, csrf, roles: session.subject.roles, parsed, page }));
  }

  @Post('events/export')
  @UseGuards(AdminConsoleSessionGuard)
  @AdminAccess('auditor')
  async export(@CurrentPageSession() session: PageSession, @Body() body: unknown, @InteractionId() interactionId: string, @Res() reply: FastifyReply): Promise<void> {
    const form = parseAuditExportForm(body);
    this.csrf.assertForSession(REALM.realm, session.token, form.csrf);
    const exported = await this.exports.open({ filter: form.filter, format: form.format, adminId: session.subject.subjectId, interactionId, channel: 'console' });
    void reply
      .status(200)
      .headers({ ...PAGE_SECURITY_HEADERS, ...auditExportHeaders(exported) })
      .send(exported.body);
  }

  @Post('audit-chain/verify')
  @UseGuards(AdminConsoleSessionGuard)
  @AdminAccess('auditor')
  async verify(@CurrentPageSession() session: PageSession, @Body() body: unknown, @InteractionId() interactionId: string, @Res() reply: FastifyReply): Promise<void> {
    this.csrf.assertForSession(REALM.realm, session.token, parseCsrfForm(body).csrf);
    const result = await this.verification.verify(session.subject.subjectId, interactionId, 'console');
    sendPage(reply, 200, chainVerificationPage(session.subject.username, this.csrf.forSession(REALM.realm, session.token), result));
  }
}
