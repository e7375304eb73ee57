import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens of the login and consent forms: HMAC-SHA256 of the interaction uid under a server key.
 * Stateless, bound to one interaction (a token lifted from another journey does not fit), and checked
 * on every POST in constant time (OWASP CSRF cheat sheet, HMAC-based synchronizer token).
 */
export class InteractionCsrf {
  constructor(private readonly key: Buffer) {}

  tokenFor(interactionUid: string): string {
    return createHmac('sha256', this.key).update(`interaction:${interactionUid}`).digest('base64url');
  }

  verify(interactionUid: string, token: unknown): boolean {
    if (typeof token !== 'string' || token.length === 0) return false;
    const expected = Buffer.from(this.tokenFor(interactionUid));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
