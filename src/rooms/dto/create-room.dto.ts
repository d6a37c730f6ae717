import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { StorableText, VisibleName } from '../../common/string-rules.js';
import { Trim } from '../../common/transforms.js';
import { ParticipantIds } from './participant-ids.js';

export class CreateRoomDto {
  /** The other people; the caller is added when missing (roomParticipants() checks the total). */
  @ParticipantIds('The other people (distinct user ids); the caller is added when missing')
  participants: string[];

  /** §10: only for rooms of three or more (stored trimmed). */
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    minLength: 1,
    maxLength: 100,
    description: 'Rooms of three or more only; stored trimmed',
  })
  @IsOptional()
  @Trim()
  @IsString()
  @Length(1, 100)
  @StorableText()
  @VisibleName()
  name?: string | null;
}
