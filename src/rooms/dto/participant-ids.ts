import { UserIdList } from '../../common/user-id-list.js';
import { MAX_PARTICIPANTS } from '../participants.js';

/** 1–100 distinct user ids, in one linear pass; the rules of the room check the total. */
export const ParticipantIds = () => UserIdList({ min: 1, max: MAX_PARTICIPANTS });
