import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

import type { ApiConfig } from '@consentry/config';
import { Inject, Injectable } from '@nestjs/common';

import { API_CONFIG } from '../api.tokens.js';
import { SessionRealm } from '../sessions/session.store.js';
import { PageException, PageExceptionCode } from './page.exception.js';

/**
 * CSRF tokens of the pages' forms (OWASP CSRF cheat sheet, HMAC-based synchronizer token): stateless,
 * HMAC-SHA256 under a key derived from SECRETS_KEY, bound to the session (or, before sign-in, to the
 * random nonce of the sign-in cookie) and to the realm, and checked in constant time on every POST.
 * SameSite=Strict cookies are the second line: a cross-site post carries no session at all.
 */
@Injectable()
export class PageCsrf {
  private readonly key: Buffer;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    // A key of its own (HKDF, RFC 5869) so the data-at-rest key is never used for anything else directly.
    this.key = Buffer.from(hkdfSync('sha256', config.secretsKey, Buffer.alloc(0), 'consentry-api/page-csrf', 32));
  }

  forSession(realm: SessionRealm, sessionToken: string): string {
    return this.mac(`session:${realm}:${sessionToken}`);
  }

  /** Token of a sign-in form, bound to the nonce of the pre-session cookie (against login CSRF). */
  forLogin(realm: SessionRealm, nonce: string): string {
    return this.mac(`login:${realm}:${nonce}`);
  }

  /** Refuses a form of a signed-in page whose token is not this session's. */
  assertForSession(realm: SessionRealm, sessionToken: string, given: unknown): void {
    if (!this.matches(this.forSession(realm, sessionToken), given)) throw new PageException(PageExceptionCode.InvalidCsrf, 'csrf token mismatch');
  }

  /** Refuses a sign-in form without the nonce cookie it was issued with. */
  assertForLogin(realm: SessionRealm, nonce: string | null, given: unknown): void {
    if (nonce === null || !this.matches(this.forLogin(realm, nonce), given)) throw new PageException(PageExceptionCode.InvalidCsrf, 'csrf token mismatch');
  }

  matches(expected: string, given: unknown): boolean {
    if (typeof given !== 'string' || given.length === 0) return false;
    const a = Buffer.from(expected);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }
}
