import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ToInt } from '../../common/transforms.js';

/** `GET /rooms/:roomId/changes` (§9). */
export class ListChangesQuery {
  /** The highest `rev` the client has seen; 0 (the default) is everything. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  since: number = 0;

  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 100;
}
