import { FastifyReply } from 'fastify';

import { PAGE_CSP } from './page-html.js';

/** Headers of every page and download of the dashboard and the admin console. */
export const PAGE_SECURITY_HEADERS = {
  // Personal data and CSRF tokens: never kept by a browser cache or a proxy.
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

export function sendPage(reply: FastifyReply, status: number, html: string, csp: string = PAGE_CSP): void {
  void reply
    .status(status)
    .headers({ ...PAGE_SECURITY_HEADERS, 'content-security-policy': csp, 'content-type': 'text/html; charset=utf-8' })
    .send(html);
}

/** 303 See Other after a form post (RFC 9110 15.4.4), so a reload never posts again. */
export function redirectAfterPost(reply: FastifyReply, location: string): void {
  void reply.status(303).headers(PAGE_SECURITY_HEADERS).header('location', location).send();
}
