import { UserIdList } from '../../common/user-id-list.js';
import { MAX_PARTICIPANTS } from '../participants.js';

export class CreateRoomDto {
  /** The other people; the caller is added when missing (roomParticipants() checks the total). */
  @UserIdList({ min: 1, max: MAX_PARTICIPANTS })
  participants: string[];
}
