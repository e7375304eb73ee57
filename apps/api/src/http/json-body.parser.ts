import { findDuplicateMember, unreachable } from '@consentry/validation';
import { BadRequestException } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyRequest, RawServerDefault } from 'fastify';

import { routedPath } from './routed-path.js';

/** No request body of ours nests deeper than a few levels; OB payloads stay under ten. */
export const MAX_JSON_DEPTH = 32;

/**
 * No object of ours has more than 1,000 members: the widest is an event poll's `setErrs`, keyed by the
 * events' ids, of at most MAX_ACKNOWLEDGED (1,000) entries; the OB schemas' others hold a few dozen.
 * class-transformer drops repeated keys with an indexOf per key, quadratic in an object's members: a
 * 1 MiB body of 80,000 unknown members held the event loop for 6 to 19 s (6 December 2026), on any POST,
 * a sign-in's included, before a token or a password was checked; 1,000 cost about a millisecond.
 */
export const MAX_JSON_OBJECT_MEMBERS = 1_000;

/**
 * No array of ours has more than 1,000 items either: the longest is an event poll's `ack`, of at most
 * MAX_ACKNOWLEDGED (1,000) ids; the OB schemas' are a few dozen (Permissions). Validation walks an array
 * item by item: a sign-in body of 400,000 zeros in one array (800 KB, within the size limit) held the
 * event loop about a second before its 400, without credentials (8 December 2026, a probe's find).
 */
export const MAX_JSON_ARRAY_ITEMS = 1_000;

/** A body refused for its shape: nested too deep, an object too wide, an array too long. */
export type ShapeRefusal = 'too_deep' | 'too_wide' | 'too_long';

/** The code describeFrameworkError recognises for a body refused for its shape (too deep, too wide). */
export const JSON_SHAPE_REFUSED = 'CONSENTRY_JSON_SHAPE_REFUSED';

/**
 * Why a JSON body could not be read: not UTF-8, not JSON at all (or empty, or `__proto__` keys), nested
 * too deep, an object with too many members, or a member name given twice in one object (the names
 * leading to it, array items not counted).
 */
export type UnreadableBody = 'not_utf8' | 'not_json' | ShapeRefusal | { duplicateMember: string[] };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the JSON parser on an Open Banking request whose body it could not read (the body is then undefined). */
    unreadableBody?: UnreadableBody;
  }
}

// Issue 12 fixes the order of an OB request's checks: token, headers and signature come before the body,
// so there an unreadable body is only noted, and refused by UnreadableBodyInterceptor after the guards.
const OPEN_BANKING_PREFIX = '/open-banking/';

type JsonParser = (request: FastifyRequest, body: string, done: (error: Error | null, value?: unknown) => void) => void;

// A name is quoted back only if it looks like a schema's field name: anything else may be any input at all.
const QUOTABLE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

// RFC 8259 §8.1: JSON exchanged between systems must be UTF-8. `fatal`, since the default decoder (and
// Buffer#toString) would turn a stray byte into U+FFFD: not what was signed. The BOM is still dropped.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** What a refusal of an unreadable body says, whichever transport answers it. */
export function unreadableBodyMessage(reason: UnreadableBody): string {
  if (typeof reason === 'object') {
    const path = reason.duplicateMember;
    return path.every((name) => QUOTABLE_NAME.test(name))
      ? `The request body names ${path.join('.')} more than once`
      : 'The request body names a member more than once';
  }
  switch (reason) {
    case 'not_utf8':
      return 'The request body is not valid UTF-8';
    case 'not_json':
      return 'The request body is not valid JSON';
    case 'too_deep':
      return `The request body nests deeper than ${MAX_JSON_DEPTH} levels`;
    case 'too_wide':
      return `The request body has an object of more than ${MAX_JSON_OBJECT_MEMBERS} members`;
    case 'too_long':
      return `The request body has an array of more than ${MAX_JSON_ARRAY_ITEMS} items`;
    default:
      return unreachable(reason);
  }
}

/**
 * Whether a parsed body nests arrays or objects deeper than `limits.depth`, holds an object of more than
 * `limits.members` members or an array of more than `limits.items` items; iterative, so any depth is
 * measured safely, and linear in the body (a too long array is refused before its items are visited).
 */
export function shapeRefusal(value: unknown, limits: { depth: number; members: number; items: number }): ShapeRefusal | null {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > limits.depth) return 'too_deep';
    if (Array.isArray(current) && current.length > limits.items) return 'too_long';
    const children = Array.isArray(current) ? current : Object.values(current);
    if (!Array.isArray(current) && children.length > limits.members) return 'too_wide';
    for (const child of children) stack.push([child, depth + 1]);
  }
  return null;
}

/**
 * The app's `application/json` parser: the bytes decoded as strict UTF-8, then Fastify's own parser
 * (secure-json-parse, `__proto__` and `constructor` keys refused), then a check of its shape, since
 * class-transformer and class-validator walk bodies recursively (a few thousand levels would overflow the
 * stack, a 500) and class-transformer's time grows with the square of an object's members, then a check
 * that no object names a member twice. The exact bytes stay in
 * request.rawBody (the app's `rawBody` option), which message signatures and idempotency are over: a body
 * is read only if it has one meaning, the one a verifier of those bytes reads.
 *
 * An unreadable body is refused here, as a 400 in the transport's format, except under /open-banking,
 * where it becomes undefined and is marked (request.unreadableBody) for UnreadableBodyInterceptor. The
 * size limit is Fastify's, enforced before any parser runs.
 */
export function registerJsonBodyParser(app: NestFastifyApplication, bodyLimit: number): void {
  // Typed as either of Fastify's parser shapes; the default JSON parser is the callback one.
  const parseJson = app.getHttpAdapter().getInstance().getDefaultJsonParser('error', 'error') as JsonParser;
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit }, (request, body, done) => {
    const refuse = (reason: UnreadableBody, parserError?: Error) => {
      if (routedPath(request).startsWith(OPEN_BANKING_PREFIX)) {
        request.unreadableBody = reason;
        done(null, undefined);
      } else if (reason === 'too_deep' || reason === 'too_wide' || reason === 'too_long') {
        done(new BadRequestException(unreadableBodyMessage(reason), { cause: { code: JSON_SHAPE_REFUSED, reason } }), undefined);
      } else {
        // Elsewhere any other unreadable body is what Fastify's parser calls malformed JSON.
        done(parserError ?? new BadRequestException(unreadableBodyMessage(reason), { cause: new SyntaxError(unreadableBodyMessage(reason)) }), undefined);
      }
    };
    let text: string;
    try {
      text = UTF8.decode(body);
    } catch {
      refuse('not_utf8');
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error) return refuse('not_json', error);
      const shape = shapeRefusal(value, { depth: MAX_JSON_DEPTH, members: MAX_JSON_OBJECT_MEMBERS, items: MAX_JSON_ARRAY_ITEMS });
      if (shape) return refuse(shape);
      // RFC 8259 §4 leaves a repeated name to the reader (JSON.parse keeps the last, others the first);
      // I-JSON (RFC 7493 §2.3) forbids it. Run on the text, since the parsed value has only the last.
      const duplicateMember = findDuplicateMember(text);
      if (duplicateMember) return refuse({ duplicateMember });
      done(null, value);
    });
  });
}
