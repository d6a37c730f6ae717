import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ToInt } from '../../common/transforms.js';

export class ListRoomsQuery {
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 100;

  /** The cursor of a `Link: …; rel="next"` header: where the previous page ended. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'after must be the cursor of a Link header' })
  after?: string;
}
