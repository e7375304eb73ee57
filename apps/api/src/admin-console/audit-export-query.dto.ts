import { AUDIT_EVENT_TYPES, AuditEventType } from '@consentry/audit';
import { IsObDateTime } from '@consentry/validation';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

import { AUDIT_EXPORT_FORMATS, AuditExportFormat } from './audit-export.format.js';
import { AuditFilter } from './audit-filter.js';

/** Query of GET /admin/audit-events/export: the filters of GET /admin/audit-events and a format. */
export class AuditExportQueryDto {
  @IsIn(AUDIT_EXPORT_FORMATS)
  format!: AuditExportFormat;

  @IsOptional()
  @IsIn(AUDIT_EVENT_TYPES)
  type?: AuditEventType;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  clientId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  psuId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  consentId?: string;

  @IsOptional()
  @IsObDateTime()
  from?: string;

  @IsOptional()
  @IsObDateTime()
  to?: string;
}

export function exportFilterOf(query: AuditExportQueryDto): AuditFilter {
  return {
    type: query.type,
    clientId: query.clientId,
    psuId: query.psuId,
    consentId: query.consentId,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
  };
}
