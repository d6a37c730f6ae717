import { IsOptional, IsString, Length } from 'class-validator';
import { StorableText } from '../../common/string-rules.js';
import { Trim } from '../../common/transforms.js';
import { ParticipantIds } from './participant-ids.js';

export class CreateRoomDto {
  /** The other people; the caller is added when missing. */
  @ParticipantIds() // the caller may be among them; roomParticipants() checks the total
  participants: string[];

  /** §10: only for rooms of three or more (stored trimmed). */
  @IsOptional()
  @Trim()
  @IsString()
  @Length(1, 100)
  @StorableText()
  name?: string | null;
}
