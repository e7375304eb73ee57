import { Body, Controller, Get, Header, Logger, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';

import { InteractionId } from '../security/tpp-principal.js';
import { DashboardAlertsService } from './dashboard-alerts.service.js';
import { DASHBOARD_ALERTS_JS, dashboardAlertsPage, isDashboardAlertNotice, parseAlertPreferencesForm } from './dashboard-alerts.views.js';
import { DashboardSessionGuard } from './dashboard-session.guard.js';
import { DASHBOARD_REALM, signedInHeader } from './dashboard.views.js';
import { PageCsrf } from './page-csrf.js';
import { parseCsrfForm } from './page-forms.js';
import { DASHBOARD_PAGE_CSP } from './page-html.js';
import { PAGE_SECURITY_HEADERS, redirectAfterPost, sendPage } from './page-response.js';
import { CurrentPageSession, PageSession } from './page-session.js';
import { PageException, PageExceptionCode } from './page.exception.js';
import { PageExceptionFilter } from './page.exception-filter.js';
import { MAX_ALERT_STREAMS_PER_PSU, PsuAlertFeed } from './psu-alert-feed.js';

const REALM = DASHBOARD_REALM;

// A comment line every 25 s keeps proxies from closing an idle stream.
const KEEP_ALIVE_MS = 25_000;

/**
 * The PSU's alerts on the dashboard: the list with read marks, the preferences form (CSRF-protected like
 * every dashboard form), and a server-sent event stream of new alerts fed by the Redis channel.
 */
@Controller('dashboard')
@UseFilters(new PageExceptionFilter(DASHBOARD_REALM))
export class DashboardAlertsController {
  private readonly logger = new Logger(DashboardAlertsController.name);

  constructor(
    private readonly alerts: DashboardAlertsService,
    private readonly feed: PsuAlertFeed,
    private readonly csrf: PageCsrf,
    private readonly sessionGuard: DashboardSessionGuard,
  ) {}

  @Get('assets/alerts.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  @Header('x-content-type-options', 'nosniff')
  script(): string {
    return DASHBOARD_ALERTS_JS;
  }

  @Get('alerts')
  @UseGuards(DashboardSessionGuard)
  async list(@CurrentPageSession() session: PageSession, @Query('cursor') cursor: unknown, @Query('notice') notice: unknown, @Res() reply: FastifyReply): Promise<void> {
    if (cursor !== undefined && (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(cursor))) throw new PageException(PageExceptionCode.InvalidForm, 'cursor is not valid');
    const psuId = session.subject.subjectId;
    const [page, preferences] = await Promise.all([this.alerts.list(psuId, cursor), this.alerts.preferences(psuId)]);
    const csrf = this.csrf.forSession(REALM.realm, session.token);
    sendPage(
      reply,
      200,
      dashboardAlertsPage({
        header: signedInHeader(session.subject.displayName, csrf),
        csrf,
        alerts: page.alerts,
        unread: page.unread,
        next: page.next,
        preferences,
        notice: isDashboardAlertNotice(notice) ? notice : undefined,
      }),
      DASHBOARD_PAGE_CSP,
    );
  }

  @Get('alerts/stream')
  @UseGuards(DashboardSessionGuard)
  async stream(@CurrentPageSession() session: PageSession, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const psuId = session.subject.subjectId;
    const raw = reply.raw;
    // The guard admitted the stream once; it stays open only while the guard would still admit it. Before
    // each alert and each keep-alive the session is re-checked by the guard's own rule (without renewing
    // it: an open page is not activity), so after a sign-out, a lock, the idle timeout or the absolute
    // lifetime nothing more is sent and the stream ends. Writes wait in line behind their checks, in order.
    let open = true;
    let writes = Promise.resolve();
    const send = (chunk: string): void => {
      writes = writes
        .then(async () => {
          if (open && !(await this.sessionGuard.stillAdmits(session))) end();
          if (open) raw.write(chunk);
        })
        .catch(() => {
          this.logger.warn('alert stream ended: its session could not be checked');
          end();
        });
    };
    const unsubscribe = await this.feed.subscribe(psuId, (alert) => {
      send(`id: ${alert.alertId}\nevent: alert\ndata: ${JSON.stringify({ alertId: alert.alertId, kind: alert.kind, title: alert.title, body: alert.body, createdAt: alert.createdAt })}\n\n`);
    });
    if (unsubscribe === null) {
      // An EventSource does not reconnect after a status other than 200.
      reply.status(429).header('retry-after', '60').header('cache-control', 'no-store');
      reply.send({ error: 'too_many_streams', message: `At most ${MAX_ALERT_STREAMS_PER_PSU} alert streams may be open at once: close another page first` });
      return;
    }
    reply.hijack();
    raw.writeHead(200, { ...PAGE_SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    // Headers leave with this first write, after the subscription is in place: a client's 'open' means no alert is missed.
    raw.write(': subscribed\n\n');
    const keepAlive = setInterval(() => send(': keep-alive\n\n'), KEEP_ALIVE_MS);
    const stop = (): void => {
      open = false;
      clearInterval(keepAlive);
      unsubscribe();
    };
    const end = (): void => {
      if (!open) return;
      stop();
      raw.end();
    };
    request.raw.once('close', stop);
  }

  @Post('alerts/read-all')
  @UseGuards(DashboardSessionGuard)
  async readAll(@CurrentPageSession() session: PageSession, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    this.csrf.assertForSession(REALM.realm, session.token, parseCsrfForm(body).csrf);
    await this.alerts.markAllRead(session.subject.subjectId);
    redirectAfterPost(reply, `${REALM.basePath}/alerts?notice=read`);
  }

  @Post('alerts/preferences')
  @UseGuards(DashboardSessionGuard)
  async savePreferences(@CurrentPageSession() session: PageSession, @Body() body: unknown, @InteractionId() interactionId: string, @Res() reply: FastifyReply): Promise<void> {
    const form = parseAlertPreferencesForm(body);
    this.csrf.assertForSession(REALM.realm, session.token, form.csrf);
    await this.alerts.savePreferences(session.subject.subjectId, form, interactionId);
    redirectAfterPost(reply, `${REALM.basePath}/alerts?notice=saved`);
  }

  @Post('alerts/:AlertId/read')
  @UseGuards(DashboardSessionGuard)
  async read(@CurrentPageSession() session: PageSession, @Param('AlertId') alertId: string, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    this.csrf.assertForSession(REALM.realm, session.token, parseCsrfForm(body).csrf);
    await this.alerts.markRead(session.subject.subjectId, alertId);
    redirectAfterPost(reply, `${REALM.basePath}/alerts?notice=read`);
  }
}
