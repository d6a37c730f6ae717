import { IsString, Matches } from 'class-validator';
import { ID_PATTERN } from '../../common/string-rules.js';
import { MessageContent } from './message-content.js';

/** The body of `PATCH /rooms/:roomId/messages/:messageId`. */
export class EditMessageDto {
  @MessageContent()
  content: string;
}

/** The socket `delete_message` payload; the HTTP twin has it all in its path. */
export class DeleteMessagePayload {
  @IsString()
  @Matches(ID_PATTERN, { message: 'roomId must be a room id' })
  roomId: string;

  @IsString()
  @Matches(ID_PATTERN, { message: 'messageId must be a message id' })
  messageId: string;
}

/** The socket `edit_message` payload. */
export class EditMessagePayload extends DeleteMessagePayload {
  @MessageContent()
  content: string;
}
