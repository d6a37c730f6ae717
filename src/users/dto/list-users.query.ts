import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageLimit } from '../../common/page-limit.js';
import { ID_PATTERN, StorableText } from '../../common/string-rules.js';

export class ListUsersQuery {
  /** Case-insensitive substring of the name. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @StorableText()
  q?: string;

  @PageLimit()
  limit: number = 100;

  /** The last user id of the previous page. */
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, { message: 'after must be a user id' })
  after?: string;
}
