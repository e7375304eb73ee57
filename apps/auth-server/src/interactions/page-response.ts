import { FastifyReply } from 'fastify';

import { PAGE_CSP } from './interaction.views.js';

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // Pages carry a per-interaction CSRF token and personal data: never stored by a browser or proxy.
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

/**
 * Sends a server-rendered page. A reply handed to oidc-provider (hijacked) is written raw, with the
 * headers Fastify had collected.
 */
export function sendPage(reply: FastifyReply, status: number, html: string): void {
  if (reply.raw.headersSent) return;
  if (!reply.sent) {
    reply.status(status).headers(PAGE_HEADERS).send(html);
    return;
  }
  reply.raw.writeHead(status, { ...(reply.getHeaders() as Record<string, string>), ...PAGE_HEADERS });
  reply.raw.end(html);
}

/** 303 See Other after a form post (RFC 9110 15.4.4), e.g. back to the interaction's current step. */
export function redirectAfterPost(reply: FastifyReply, location: string): void {
  reply.status(303).header('cache-control', 'no-store').header('location', location).send();
}
