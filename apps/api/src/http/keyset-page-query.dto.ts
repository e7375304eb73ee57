import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/**
 * The query of a keyset-paged list on the customer and admin APIs, with its own largest page: `cursor`
 * is the previous page's `next` (base64url, decoded and checked by the list's service), `limit` 1 to
 * `maxLimit`. A list with filters extends the class this returns.
 */
export function KeysetPageQueryDto(maxLimit: number, maxCursorLength = 200) {
  const cursorPattern = new RegExp(`^[A-Za-z0-9_-]{1,${maxCursorLength}}$`);
  class KeysetPageQuery {
    @IsOptional()
    @Matches(cursorPattern, { message: 'cursor must be a page cursor from this API' })
    cursor?: string;

    @IsOptional()
    @Type(() => Number)
    @IsInt()
    @Min(1)
    @Max(maxLimit)
    limit?: number;
  }
  return KeysetPageQuery;
}
