import { MaxCodePoints } from '@consentry/validation';
import { IsIn, IsNotEmpty, IsOptional, IsString } from 'class-validator';

import { KeysetPageQueryDto } from '../../http/keyset-page-query.dto.js';

export const TPP_STATUSES = ['Active', 'Suspended', 'Deregistered'] as const;

export const TPPS_DEFAULT_LIMIT = 50;
export const TPPS_MAX_LIMIT = 200;

/**
 * Filters and page of GET /admin/tpps: by name, keyset-paged (`cursor` is the previous page's `next`). A
 * cursor holds a TPP's name and client id, so it may be longer than the other lists'.
 */
export class ListTppsQueryDto extends KeysetPageQueryDto(TPPS_MAX_LIMIT, 700) {
  @IsOptional()
  @IsIn(TPP_STATUSES)
  status?: (typeof TPP_STATUSES)[number];
}

/** Body of POST /admin/tpps/{clientId}/suspend: why, for the audit trail (a regulator will ask). */
export class SuspendTppDto {
  @IsString()
  @IsNotEmpty()
  @MaxCodePoints(500)
  reason!: string;
}

/** Body of POST /admin/tpps/{clientId}/reinstate (`{}` or with a reason). */
export class ReinstateTppDto {
  @IsOptional()
  @IsString()
  @MaxCodePoints(500)
  reason?: string;
}
