import { IsRoomId } from '../../common/string-rules.js';
import { SendMessageDto } from './send-message.dto.js';

/** The socket `create_message` payload: the HTTP body plus the room. */
export class CreateMessageDto extends SendMessageDto {
  @IsRoomId()
  roomId: string;
}
