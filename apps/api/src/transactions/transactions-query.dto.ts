import { IsObQueryDateTime } from '@consentry/validation';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';

import { PageQueryDto } from '../open-banking/page-query.dto.js';

/** Query of GET transactions: the OB booking-date filters and our page cursor; nothing else is accepted. */
export class TransactionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'ISO 8601 date or date-time; the timezone is ignored (OB)', example: '2026-01-01T00:00:00' })
  @IsOptional()
  @IsObQueryDateTime()
  fromBookingDateTime?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 date or date-time; the timezone is ignored (OB)', example: '2026-01-31T23:59:59' })
  @IsOptional()
  @IsObQueryDateTime()
  toBookingDateTime?: string;
}
