import { IsOptional, IsString, Matches } from 'class-validator';
import { PageLimit } from '../../common/page-limit.js';
import { ID_PATTERN } from '../../common/string-rules.js';

export class ListMessagesQuery {
  @PageLimit()
  limit: number = 50;

  /** The page of messages just before this one. */
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, { message: 'before must be a message id' })
  before?: string;

  /** Everything after this message (catch-up after a reconnect). */
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, { message: 'after must be a message id' })
  after?: string;
}
