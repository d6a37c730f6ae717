import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { ID_PATTERN } from '../../common/string-rules.js';
import { ParticipantIds } from './participant-ids.js';

/** The body of `POST /rooms/:roomId/participants`. */
export class AddParticipantsDto {
  @ParticipantIds()
  participants: string[];
}

/** The socket `leave_room` payload; the HTTP twin has it in its path. */
export class LeaveRoomPayload {
  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{1,64}$' })
  @IsString()
  @Matches(ID_PATTERN, { message: 'roomId must be a room id' })
  roomId: string;
}

/** The socket `add_participants` payload. */
export class AddParticipantsPayload extends LeaveRoomPayload {
  @ParticipantIds()
  participants: string[];
}
