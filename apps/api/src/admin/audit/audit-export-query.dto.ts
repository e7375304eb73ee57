import { AuditEventType } from '@consentry/audit';
import { IsIn } from 'class-validator';

import { AuditFilterQueryDto } from './audit-events-query.dto.js';
import { AUDIT_EXPORT_FORMATS, AuditExportFormat } from './audit-export.format.js';
import { AuditFilter } from './audit-filter.js';

/** Query of GET /admin/audit-events/export: the filters of GET /admin/audit-events and a format. */
export class AuditExportQueryDto extends AuditFilterQueryDto {
  @IsIn(AUDIT_EXPORT_FORMATS)
  format!: AuditExportFormat;
}

export function exportFilterOf(query: AuditExportQueryDto): AuditFilter {
  return {
    type: query.type as AuditEventType | undefined,
    clientId: query.clientId,
    psuId: query.psuId,
    consentId: query.consentId,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
  };
}
