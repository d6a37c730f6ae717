import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import { IsRoomId } from '../../common/string-rules.js';

/** The socket `typing` payload (no HTTP twin: typing is ephemeral). */
export class TypingDto {
  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{1,64}$' })
  @IsRoomId()
  roomId: string;

  @ApiProperty()
  @IsBoolean()
  typing: boolean;
}
