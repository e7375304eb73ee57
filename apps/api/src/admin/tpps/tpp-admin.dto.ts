import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export const TPP_STATUSES = ['Active', 'Suspended', 'Deregistered'] as const;

export const TPPS_DEFAULT_LIMIT = 50;
export const TPPS_MAX_LIMIT = 200;

/** Filters and page of GET /admin/tpps: by name, keyset-paged (`cursor` is the previous page's `next`). */
export class ListTppsQueryDto {
  @IsOptional()
  @IsIn(TPP_STATUSES)
  status?: (typeof TPP_STATUSES)[number];

  // A cursor this API issued: base64url of a small JSON pair, decoded and checked by the service.
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,700}$/, { message: 'cursor must be a page cursor from this API' })
  cursor?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(TPPS_MAX_LIMIT)
  limit?: number;
}

/** Body of POST /admin/tpps/{clientId}/suspend: why, for the audit trail (a regulator will ask). */
export class SuspendTppDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason!: string;
}

/** Body of POST /admin/tpps/{clientId}/reinstate (`{}` or with a reason). */
export class ReinstateTppDto {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
