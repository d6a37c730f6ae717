import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { PageLimit } from '../../common/page-limit.js';
import { ID_PATTERN } from '../../common/string-rules.js';

export class ListMessagesQuery {
  @PageLimit(50)
  limit: number = 50;

  /** The page of messages just before this one. */
  @ApiPropertyOptional({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'The page just before this message' })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, { message: 'before must be a message id' })
  before?: string;

  /** Everything after this message (catch-up after a reconnect). */
  @ApiPropertyOptional({
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    description: 'Everything after this message (catch-up)',
  })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, { message: 'after must be a message id' })
  after?: string;
}
