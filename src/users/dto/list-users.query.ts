import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ToInt } from '../../common/transforms.js';
import { ID_PATTERN, StorableText } from '../../common/string-rules.js';

export class ListUsersQuery {
  /** Case-insensitive substring of the name. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @StorableText()
  q?: string;

  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 100;

  /** The last user id of the previous page. */
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, { message: 'after must be a user id' })
  after?: string;
}
