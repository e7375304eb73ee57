import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export const TPP_STATUSES = ['Active', 'Suspended', 'Deregistered'] as const;

/** Filters of GET /admin/tpps. */
export class ListTppsQueryDto {
  @IsOptional()
  @IsIn(TPP_STATUSES)
  status?: (typeof TPP_STATUSES)[number];
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
