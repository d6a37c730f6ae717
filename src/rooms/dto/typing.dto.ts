import { IsBoolean } from 'class-validator';
import { IsRoomId } from '../../common/string-rules.js';

/** The socket `typing` payload (no HTTP twin: typing is ephemeral). */
export class TypingDto {
  @IsRoomId()
  roomId: string;

  @IsBoolean()
  typing: boolean;
}
