import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Min } from 'class-validator';
import { IsRoomId } from '../../common/string-rules.js';

/** The body of `POST /rooms/:roomId/read`. */
export class ReadDto {
  /** Read up to here; any integer from 0, capped at the room's last message. */
  @ApiProperty({ type: 'integer', minimum: 0, description: "Capped at the room's last seq" })
  @IsInt()
  @Min(0)
  seq: number;
}

/** The socket `mark_read` payload: the HTTP body plus the room. */
export class MarkReadDto extends ReadDto {
  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{1,64}$' })
  @IsRoomId()
  roomId: string;
}
