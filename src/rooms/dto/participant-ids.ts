import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { UserIdList } from '../../common/user-id-list.js';
import { MAX_PARTICIPANTS } from '../participants.js';

/**
 * 1–100 distinct user ids, in one linear pass (the rules of the room check
 * the total), documented as such.
 */
export const ParticipantIds = (description = 'Distinct user ids') =>
  applyDecorators(
    ApiProperty({ type: [String], minItems: 1, maxItems: MAX_PARTICIPANTS, uniqueItems: true, description }),
    UserIdList({ min: 1, max: MAX_PARTICIPANTS }),
  );
