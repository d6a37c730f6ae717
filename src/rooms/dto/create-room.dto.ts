import { IsOptional, IsString, Length } from 'class-validator';
import { StorableText, VisibleName } from '../../common/string-rules.js';
import { Trim } from '../../common/transforms.js';
import { ParticipantIds } from './participant-ids.js';

export class CreateRoomDto {
  /** The other people; the caller is added when missing (roomParticipants() checks the total). */
  @ParticipantIds()
  participants: string[];

  /** §10: only for rooms of three or more (stored trimmed). */
  @IsOptional()
  @Trim()
  @IsString()
  @Length(1, 100)
  @StorableText()
  @VisibleName()
  name?: string | null;
}
