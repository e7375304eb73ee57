import { AuditLogEntity, DataSource } from '@consentry/database';
import { CredentialAuthenticator } from '@consentry/identity';
import { Injectable } from '@nestjs/common';

import { recordAuditSearch } from './audit/audit-search.audit.js';
import type { AuditLogEntryView } from './audit/audit-log.rows.js';
import { CreateSessionDto } from '../sessions/create-session.dto.js';
import { signInRefusal } from '../sessions/session.exception.js';
import { IssuedSession, SessionStore } from '../sessions/session.store.js';
import { AUDIT_EVENTS_DEFAULT_LIMIT, AuditEventsQueryDto } from './audit/audit-events-query.dto.js';

/** An audit-log entry as the admin API lists it: the same view the admin console shows. */
export type AuditEventView = AuditLogEntryView;

export interface AuditEventsPage {
  events: AuditEventView[];
  /** The `after` value of the next page; null on the last page. */
  next: string | null;
}

@Injectable()
export class AdminService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly authenticator: CredentialAuthenticator,
    private readonly sessions: SessionStore,
  ) {}

  async signIn(credentials: CreateSessionDto, ip: string, interactionId: string): Promise<IssuedSession> {
    const outcome = await this.authenticator.authenticateAdmin({ ...credentials, ip, interactionId });
    if (!outcome.ok) throw signInRefusal(outcome);
    return this.sessions.issue('admin', { subjectId: outcome.subjectId, username: outcome.username, displayName: outcome.displayName });
  }

  signOut(token: string): Promise<void> {
    return this.sessions.end('admin', token);
  }

  /** The chained audit log in `seq` order, filtered, keyset-paged by `seq`. */
  async listAuditEvents(query: AuditEventsQueryDto, adminId: string, interactionId?: string): Promise<AuditEventsPage> {
    const limit = query.limit ?? AUDIT_EVENTS_DEFAULT_LIMIT;
    const builder = this.dataSource.getRepository(AuditLogEntity).createQueryBuilder('log').orderBy('log.seq', 'ASC').limit(limit + 1);
    if (query.type) builder.andWhere('log.eventType = :type', { type: query.type });
    if (query.clientId) builder.andWhere('log.clientId = :clientId', { clientId: query.clientId });
    if (query.psuId) builder.andWhere('log.psuId = :psuId', { psuId: query.psuId });
    if (query.consentId) builder.andWhere('log.consentId = :consentId', { consentId: query.consentId });
    if (query.from) builder.andWhere('log.occurredAt >= :from', { from: new Date(query.from) });
    if (query.to) builder.andWhere('log.occurredAt <= :to', { to: new Date(query.to) });
    if (query.after) builder.andWhere('log.seq > :after', { after: query.after });
    const rows = await builder.getMany();
    const page = rows.slice(0, limit);
    const filter: Record<string, string> = {};
    for (const name of ['type', 'clientId', 'psuId', 'consentId', 'from', 'to', 'after', 'limit'] as const) {
      if (query[name] !== undefined) filter[name] = String(query[name]);
    }
    await recordAuditSearch(this.dataSource, { adminId, interactionId, channel: 'api', filter, results: page.length });
    return {
      events: page.map((row) => ({
        seq: String(row.seq),
        eventId: row.eventId,
        type: row.eventType,
        occurredAt: row.occurredAt.toISOString(),
        recordedAt: row.recordedAt.toISOString(),
        clientId: row.clientId,
        psuId: row.psuId,
        consentId: row.consentId,
        event: row.event,
        prevHash: row.prevHash,
        hash: row.hash,
      })),
      next: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
    };
  }
}
