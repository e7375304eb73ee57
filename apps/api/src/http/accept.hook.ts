import { NotAcceptableException } from '@nestjs/common';
import { FastifyInstance } from 'fastify';

import { routedPath } from './routed-path.js';

const OPEN_BANKING_PREFIX = '/open-banking/';

// How closely a media range names application/json; 0 for a range that does not match it at all.
const SPECIFICITY: Readonly<Record<string, number>> = { 'application/json': 3, 'application/*': 2, '*/*': 1 };
// RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Whether an Accept header admits application/json (RFC 9110 12.5.1): the most specific range matching it
 * decides (application/json over application/* over *\/*, the highest weight among equals), and a weight
 * of 0 refuses. Media type parameters other than q are not compared: every answer is JSON in UTF-8. A
 * range whose weight is outside the grammar is left out, as if not sent.
 */
export function acceptsJson(accept: string): boolean {
  let specificity = 0;
  let weight = 0;
  for (const element of accept.split(',')) {
    const [range = '', ...parameters] = element.split(';');
    const rank = SPECIFICITY[range.trim().toLowerCase()] ?? 0;
    if (rank === 0 || rank < specificity) continue;
    let q = 1;
    for (const parameter of parameters) {
      const [name = '', value = ''] = parameter.split('=', 2).map((part) => part.trim());
      if (name.toLowerCase() === 'q') q = QVALUE.test(value) ? Number(value) : Number.NaN;
    }
    if (Number.isNaN(q)) continue;
    weight = rank > specificity ? q : Math.max(weight, q);
    specificity = rank;
  }
  return weight > 0;
}

/**
 * Every OB operation answers application/json, and the spec gives each a 406 for a client that takes
 * none of it. Refused in onRequest, as the 415 of a body's media type is: before the token is looked at,
 * in the OB error shape (and signed on the signed paths) by the transport's filter. No Accept header, or
 * an empty one, accepts anything (RFC 9110 12.5.1).
 */
export function registerAcceptHook(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request) => {
    const accept = request.headers.accept;
    // The header first: most clients send */* or application/json, and the path need not be decoded.
    if (accept === undefined || accept.trim() === '' || acceptsJson(accept)) return;
    if (routedPath(request).startsWith(OPEN_BANKING_PREFIX)) throw new NotAcceptableException('The API answers application/json only');
  });
}
