import { IsObQueryDateTime } from '@consentry/validation';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** Query of GET /accounts/{AccountId}/transactions: the OB filter parameters and our page cursor. */
export class TransactionsQueryDto {
  @IsOptional()
  @IsObQueryDateTime()
  fromBookingDateTime?: string;

  @IsOptional()
  @IsObQueryDateTime()
  toBookingDateTime?: string;

  /** Opaque keyset cursor from Links.Next. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(/^[A-Za-z0-9_-]+$/)
  page?: string;
}
