import { BadRequestException } from '@nestjs/common';
import { FastifyInstance } from 'fastify';

/** No request body of ours nests deeper than a few levels; OB payloads stay under ten. */
export const MAX_JSON_DEPTH = 32;

/** The code describeFrameworkError recognises for a body refused for its depth. */
export const JSON_TOO_DEEP = 'CONSENTRY_JSON_TOO_DEEP';

/** Whether `value` nests arrays or objects deeper than `limit`; iterative, so any depth is measured safely. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Refuses a parsed JSON body nested deeper than MAX_JSON_DEPTH before validation: class-transformer and
 * class-validator walk bodies recursively, and a few thousand levels would overflow the stack (a 500).
 */
export function registerJsonDepthHook(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', async (request) => {
    if (request.body !== undefined && nestsDeeperThan(request.body, MAX_JSON_DEPTH)) {
      throw new BadRequestException('The request body nests too deeply', { cause: { code: JSON_TOO_DEEP } });
    }
  });
}
