import { ChatError } from '../common/chat-error.js';

const MIN_PARTICIPANTS = 2;
export const MAX_PARTICIPANTS = 100;

/** The room's participants: the requested ones plus the caller, each once. */
export function roomParticipants(callerId: string, requested: readonly string[]): string[] {
  const ids = [...new Set([callerId, ...requested])];
  if (ids.length < MIN_PARTICIPANTS) {
    throw ChatError.validation([
      `participants must name at least one user besides you (a room has ${MIN_PARTICIPANTS}–${MAX_PARTICIPANTS} people)`,
    ]);
  }
  if (ids.length > MAX_PARTICIPANTS) {
    throw ChatError.validation([`participants: a room has at most ${MAX_PARTICIPANTS} people, you included`]);
  }
  return ids;
}

/**
 * The key that makes a two-person room unique: the same for both orders of
 * the pair, null for larger rooms.
 */
export function directKey(participantIds: readonly string[]): string | null {
  return participantIds.length === 2 ? [...participantIds].sort().join(' ') : null;
}
