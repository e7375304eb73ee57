import { Body, Controller, Get, Header, Ip, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';

import { InteractionId } from '../security/tpp-principal.js';
import { DashboardSessionGuard } from './dashboard-session.guard.js';
import { DashboardService } from './dashboard.service.js';
import { DASHBOARD_REALM, dashboardLoginPage, dashboardPage, isDashboardNotice } from './dashboard.views.js';
import { PageCsrf } from './page-csrf.js';
import { pageCursorOf, parseCsrfForm } from './page-forms.js';
import { redirectAfterPost, sendPage } from './page-response.js';
import { CurrentPageSession, PageCookies, PageSession } from './page-session.js';
import { answerLoginForm } from './page-sign-in.js';
import { PageExceptionFilter } from './page.exception-filter.js';
import { PAGE_STYLESHEET } from './page.stylesheet.js';

const REALM = DASHBOARD_REALM;

/**
 * The PSU's dashboard: sign in with password and TOTP, see every consent given to any TPP, revoke one.
 * Server-rendered, no script; every POST carries a CSRF token bound to the session.
 */
@Controller('dashboard')
@UseFilters(new PageExceptionFilter(DASHBOARD_REALM))
export class DashboardController {
  constructor(
    private readonly dashboard: DashboardService,
    private readonly cookies: PageCookies,
    private readonly csrf: PageCsrf,
  ) {}

  @Get('assets/pages.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  @Header('x-content-type-options', 'nosniff')
  stylesheet(): string {
    return PAGE_STYLESHEET;
  }

  @Get('login')
  showLogin(@Query('notice') notice: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const nonce = this.cookies.loginNonce(request, reply, REALM);
    sendPage(reply, 200, dashboardLoginPage({ csrf: this.csrf.forLogin(REALM.realm, nonce), notice: isDashboardNotice(notice) ? notice : undefined }));
  }

  @Post('login')
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
        signIn: (form) => this.dashboard.signIn(form, ip, interactionId),
        loginPage: dashboardLoginPage,
        landingPath: REALM.basePath,
      },
      body,
      request,
      reply,
    );
  }

  @Get()
  @UseGuards(DashboardSessionGuard)
  async show(@CurrentPageSession() session: PageSession, @Query('cursor') cursor: unknown, @Query('notice') notice: unknown, @Res() reply: FastifyReply): Promise<void> {
    const page = await this.dashboard.listConsents(session.subject.subjectId, { cursor: pageCursorOf(cursor) });
    sendPage(
      reply,
      200,
      dashboardPage({
        displayName: session.subject.displayName,
        csrf: this.csrf.forSession(REALM.realm, session.token),
        consents: page.consents,
        counts: { total: page.total, live: page.live },
        next: page.next,
        paged: cursor !== undefined,
        notice: isDashboardNotice(notice) ? notice : undefined,
      }),
    );
  }

  @Post('consents/:ConsentId/revoke')
  @UseGuards(DashboardSessionGuard)
  async revoke(
    @CurrentPageSession() session: PageSession,
    @Param('ConsentId') consentId: string,
    @Body() body: unknown,
    @InteractionId() interactionId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    this.csrf.assertForSession(REALM.realm, session.token, parseCsrfForm(body).csrf);
    const outcome = await this.dashboard.revoke(session.subject.subjectId, consentId, interactionId);
    redirectAfterPost(reply, `${REALM.basePath}?notice=${outcome}`);
  }

  @Post('logout')
  @UseGuards(DashboardSessionGuard)
  async logout(@CurrentPageSession() session: PageSession, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    this.csrf.assertForSession(REALM.realm, session.token, parseCsrfForm(body).csrf);
    await this.dashboard.signOut(session.token);
    this.cookies.clear(reply, REALM, 'session');
    redirectAfterPost(reply, `${REALM.basePath}/login?notice=signed_out`);
  }
}
