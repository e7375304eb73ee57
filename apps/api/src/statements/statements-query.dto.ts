import { IsObQueryDateTime } from '@consentry/validation';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';

import { PageQueryDto } from '../open-banking/page-query.dto.js';

/** Query of GET statements: the OB statement-date filters and our page cursor. */
export class StatementsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Statements ending on or after this ISO 8601 date or date-time (timezone ignored)' })
  @IsOptional()
  @IsObQueryDateTime()
  fromStatementDateTime?: string;

  @ApiPropertyOptional({ description: 'Statements starting on or before this ISO 8601 date or date-time (timezone ignored)' })
  @IsOptional()
  @IsObQueryDateTime()
  toStatementDateTime?: string;
}
