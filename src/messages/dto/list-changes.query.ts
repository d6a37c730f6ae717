import { IsInt, IsOptional, Min } from 'class-validator';
import { PageLimit } from '../../common/page-limit.js';
import { ToInt } from '../../common/transforms.js';

/** `GET /rooms/:roomId/changes` (§9). */
export class ListChangesQuery {
  /** The highest `rev` the client has seen; 0 (the default) is everything. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  since: number = 0;

  @PageLimit()
  limit: number = 100;
}
