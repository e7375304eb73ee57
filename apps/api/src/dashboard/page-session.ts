import { randomBytes } from 'node:crypto';

import type { ApiConfig } from '@consentry/config';
import type { CookieSerializeOptions } from '@fastify/cookie';
import { CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';

import { API_CONFIG } from '../api.tokens.js';
import { SessionStore, SessionSubject } from '../sessions/session.store.js';
import { PageRealm } from './page-realm.js';
import { PageException, PageExceptionCode } from './page.exception.js';

/** The signed-in person of a page request: the session token (for CSRF and sign-out) and its subject. */
export interface PageSession {
  token: string;
  subject: SessionSubject;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a PageSessionGuard. */
    pageSession?: PageSession;
  }
}

type CookieKind = 'session' | 'login';

// Session tokens are 32 random bytes in base64url (SessionStore), sign-in nonces 16; nothing else is read.
const COOKIE_VALUE = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The pages' cookies (parsed by @fastify/cookie, registered at bootstrap): HttpOnly, SameSite=Strict,
 * `Path=/` with a distinct name per realm (the dashboard and the admin console never read each other's),
 * and over https `Secure` with the `__Host-` prefix, which the browser accepts only from this host, over
 * TLS, for the whole origin and without a Domain: no sibling host or path can plant or shadow it. (Over
 * plain http, the sandbox on localhost, the prefix cannot be used.) The session cookie holds the same opaque
 * token the customer or admin API issues; it has no Max-Age, so it ends with the browser, and the
 * server ends it after the idle timeout anyway.
 */
@Injectable()
export class PageCookies {
  private readonly secure: boolean;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.secure = new URL(config.apiUrl).protocol === 'https:';
  }

  read(request: FastifyRequest, realm: PageRealm, kind: CookieKind): string | null {
    const value = request.cookies[this.name(realm, kind)];
    return value !== undefined && COOKIE_VALUE.test(value) ? value : null;
  }

  write(reply: FastifyReply, realm: PageRealm, kind: CookieKind, value: string): void {
    void reply.setCookie(this.name(realm, kind), value, this.options());
  }

  clear(reply: FastifyReply, realm: PageRealm, kind: CookieKind): void {
    void reply.clearCookie(this.name(realm, kind), this.options());
  }

  /** The sign-in form's nonce: the one in the request, or a new one set on the reply. */
  loginNonce(request: FastifyRequest, reply: FastifyReply, realm: PageRealm): string {
    const existing = this.read(request, realm, 'login');
    if (existing) return existing;
    const nonce = randomBytes(16).toString('base64url');
    this.write(reply, realm, 'login', nonce);
    return nonce;
  }

  private name(realm: PageRealm, kind: CookieKind): string {
    return `${this.secure ? '__Host-' : ''}${realm.cookieName}${kind === 'login' ? '-login' : ''}`;
  }

  private options(): CookieSerializeOptions {
    return { path: '/', httpOnly: true, sameSite: 'strict', secure: this.secure };
  }
}

/**
 * Opens a realm's pages only with a live session of that realm's namespace: a PSU's token is unknown
 * to the admin namespace and the other way round, whatever cookie it is put in.
 */
@Injectable()
export abstract class PageSessionGuard implements CanActivate {
  protected abstract readonly realm: PageRealm;

  constructor(
    private readonly sessions: SessionStore,
    private readonly cookies: PageCookies,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = this.cookies.read(request, this.realm, 'session');
    const subject = token === null ? null : await this.sessions.touch(this.realm.realm, token);
    if (token === null || subject === null) throw new PageException(PageExceptionCode.SignInRequired, 'sign in first');
    request.pageSession = { token, subject };
    return true;
  }

  /**
   * Whether a session this guard admitted would still be admitted (same rule: signed out, idle, too old,
   * locked or removed is out), without counting as activity: for a response held open, such as a stream.
   */
  async stillAdmits(session: PageSession): Promise<boolean> {
    return (await this.sessions.peek(this.realm.realm, session.token)) !== null;
  }
}

/** The session a PageSessionGuard admitted. */
export const CurrentPageSession = createParamDecorator((_: unknown, context: ExecutionContext): PageSession => {
  const session = context.switchToHttp().getRequest<FastifyRequest>().pageSession;
  if (!session) throw new Error('CurrentPageSession used on a route without a PageSessionGuard');
  return session;
});
