import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsOptional, IsString, Matches } from 'class-validator';
import { ID_PATTERN } from '../../common/string-rules.js';
import { MessageContent } from './message-content.js';

/** The body of `POST /rooms/:roomId/messages`; the room comes from the path. */
export class SendMessageDto {
  /** Client-generated (a UUID fits); makes retries idempotent. */
  @ApiProperty({
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    description: 'Client-generated (a UUID fits); makes retries idempotent',
  })
  @IsString()
  @Matches(ID_PATTERN, { message: 'messageId must be 1–64 characters of A-Z a-z 0-9 _ -' })
  messageId: string;

  @ApiProperty({ minLength: 1, maxLength: 4000, description: 'Not blank; stored exactly as sent' })
  @MessageContent()
  content: string;

  /** Optional; when present it must be the caller. */
  @ApiPropertyOptional({ description: 'Must be the caller when present' })
  @IsOptional()
  @IsString()
  senderId?: string;

  /** Accepted for the seed's sake and ignored: the server's clock decides. */
  @ApiPropertyOptional({ description: 'Accepted and ignored: the server clock decides' })
  @Allow()
  createdAt?: unknown;
}
