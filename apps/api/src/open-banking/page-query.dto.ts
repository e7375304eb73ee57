import { MaxCodePoints } from '@consentry/validation';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

/** A query with no parameters: any parameter sent is refused (400 U005) by the global pipe. */
export class NoQueryDto {}

/** The query of every paged OB list: only our opaque keyset cursor from `Links.Next`, `Links.Prev` or `Links.Last`. */
export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Opaque keyset cursor taken from Links.Next, Links.Prev or Links.Last', maxLength: 512 })
  @IsOptional()
  @IsString()
  @MaxCodePoints(512)
  @Matches(/^[A-Za-z0-9_-]+$/)
  page?: string;
}
