import { ApiProperty } from '@nestjs/swagger';
import { IsRoomId } from '../../common/string-rules.js';
import { SendMessageDto } from './send-message.dto.js';

/** The socket `create_message` payload: the HTTP body plus the room. */
export class CreateMessageDto extends SendMessageDto {
  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{1,64}$' })
  @IsRoomId()
  roomId: string;
}
