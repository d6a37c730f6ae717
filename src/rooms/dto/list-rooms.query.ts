import { IsOptional, IsString, Matches } from 'class-validator';
import { PageLimit } from '../../common/page-limit.js';

export class ListRoomsQuery {
  @PageLimit()
  limit: number = 100;

  /** The cursor of a `Link: …; rel="next"` header: where the previous page ended. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'after must be the cursor of a Link header' })
  after?: string;
}
