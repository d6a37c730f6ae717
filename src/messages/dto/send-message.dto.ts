import { Allow, IsOptional, IsString, Matches } from 'class-validator';
import { ID_PATTERN } from '../../common/string-rules.js';
import { MessageContent } from './message-content.js';

/** The body of `POST /rooms/:roomId/messages`; the room comes from the path. */
export class SendMessageDto {
  /** Client-generated (a UUID fits); makes retries idempotent. */
  @IsString()
  @Matches(ID_PATTERN, { message: 'messageId must be 1–64 characters of A-Z a-z 0-9 _ -' })
  messageId: string;

  @MessageContent()
  content: string;

  /** Optional; when present it must be the caller. */
  @IsOptional()
  @IsString()
  senderId?: string;

  /** Accepted for the seed's sake and ignored: the server's clock decides. */
  @Allow()
  createdAt?: unknown;
}
