import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageLimit } from '../../common/page-limit.js';
import { ID_PATTERN, StorableText } from '../../common/string-rules.js';

export class ListUsersQuery {
  /** Case-insensitive substring of the name. */
  @ApiPropertyOptional({ maxLength: 64, description: 'Case-insensitive substring of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @StorableText()
  q?: string;

  @PageLimit(100)
  limit: number = 100;

  /** The last user id of the previous page. */
  @ApiPropertyOptional({
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    description: 'The last user id of the previous page',
  })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, { message: 'after must be a user id' })
  after?: string;
}
