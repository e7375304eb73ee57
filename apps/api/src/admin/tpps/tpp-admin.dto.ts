import { MaxCodePoints } from '@consentry/validation';
import { IsIn, IsNotEmpty, IsOptional, IsString } from 'class-validator';

import { KeysetPageQueryDto } from '../../http/keyset-page-query.dto.js';

export const TPP_STATUSES = ['Active', 'Suspended', 'Deregistered'] as const;

export const TPPS_DEFAULT_LIMIT = 50;
export const TPPS_MAX_LIMIT = 200;

/** The longest name a registration gives a TPP, in UTF-16 units (software-statement.verifier.ts). */
export const TPP_NAME_MAX_LENGTH = 200;

/**
 * Filters and page of GET /admin/tpps: by name, keyset-paged (`cursor` is the previous page's `next`). A
 * cursor holds a TPP's name and client id, so it may be longer than the other lists': up to 200 units of
 * name, each up to six characters escaped in JSON, and the client id, in base64url (2,048 is room for any;
 * 700 refused the cursor of a name of 200 CJK characters until 8 December 2026).
 */
export class ListTppsQueryDto extends KeysetPageQueryDto(TPPS_MAX_LIMIT, 2048) {
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
