import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

/** OB `Links`: Self is required; Next when another page follows. Absolute URIs (format: uri). */
export interface ObLinks {
  Self: string;
  Next?: string;
}

/** OB `Meta`. */
export interface ObMeta {
  TotalPages?: number;
  FirstAvailableDateTime?: string;
  LastAvailableDateTime?: string;
}

/** The path and query the TPP called, for building `Links.Self`. */
export const RequestPath = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<FastifyRequest>().url;
});

/** Dates on the wire: ISO 8601 with the zone, as every OB date-time must carry. */
export function obDateTime(value: Date): string {
  return value.toISOString();
}
