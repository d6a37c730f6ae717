import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_COUNTER } from '../../common/limits.js';
import { PageLimit } from '../../common/page-limit.js';
import { ToInt } from '../../common/transforms.js';

/** `GET /rooms/:roomId/changes` (§9). */
export class ListChangesQuery {
  /** The highest `rev` the client has seen; 0 (the default) is everything. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_COUNTER,
    default: 0,
    description: 'The highest rev seen',
  })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(MAX_COUNTER)
  since: number = 0;

  @PageLimit(100)
  limit: number = 100;
}
