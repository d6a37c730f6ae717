import { IsString, Matches } from 'class-validator';
import { ID_PATTERN } from '../../common/string-rules.js';
import { SendMessageDto } from './send-message.dto.js';

/** The socket `create_message` payload: the HTTP body plus the room. */
export class CreateMessageDto extends SendMessageDto {
  @IsString()
  @Matches(ID_PATTERN, { message: 'roomId must be a room id' })
  roomId: string;
}
