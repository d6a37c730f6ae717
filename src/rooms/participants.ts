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

/** §10: a group room may be named; a direct room never is. */
export function roomName(participantIds: readonly string[], name: string | null | undefined): string | null {
  if (name !== null && name !== undefined && participantIds.length === 2) {
    throw ChatError.validation(['name: a direct room (two people) has no name; name rooms of three or more']);
  }
  return name ?? null;
}

/** The requested people not in the room yet, checking the room stays within its size. */
export function newParticipants(current: readonly string[], requested: readonly string[]): string[] {
  const added = [...new Set(requested)].filter((id) => !current.includes(id));
  if (current.length + added.length > MAX_PARTICIPANTS) {
    throw ChatError.validation([
      `participants: a room has at most ${MAX_PARTICIPANTS} people; it has ${current.length}, and ${added.length} would be added`,
    ]);
  }
  return added;
}
