import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsString, Matches } from 'class-validator';
import { ID_PATTERN } from '../../common/string-rules.js';
import { MAX_PARTICIPANTS } from '../participants.js';

export class CreateRoomDto {
  /** The other people; the caller is added when missing. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PARTICIPANTS) // the caller may be among them; roomParticipants() checks the total
  @ArrayUnique({ message: 'participants must not repeat a user' })
  @IsString({ each: true })
  @Matches(ID_PATTERN, { each: true, message: 'each value in participants must be a user id' })
  participants: string[];
}
