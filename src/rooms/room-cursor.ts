import { ChatError } from '../common/chat-error.js';
import { ID_PATTERN } from '../common/string-rules.js';

/**
 * Where a page of a user's rooms ended, in their order (most recent activity
 * first, then id): the last room's activity time, to the microsecond as
 * Postgres keeps it, and its id. Opaque to clients (base64url).
 */
export interface RoomCursor {
  /** ISO 8601 with microseconds, as Postgres wrote it: compared in SQL, never in JS. */
  activityAt: string;
  id: string;
}

const ACTIVITY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * The shape, and an instant Postgres takes: a month 13, a 30 February or
 * the year 0 would reach it and fail the query (a 500 for bad input). A date
 * and time that JavaScript reads back unchanged, from the year 1 on, is one.
 */
function isInstant(activityAt: string): boolean {
  if (!ACTIVITY.test(activityAt)) {
    return false;
  }
  const read = new Date(activityAt);
  return (
    !Number.isNaN(read.getTime()) &&
    read.getUTCFullYear() >= 1 &&
    read.toISOString().slice(0, 19) === activityAt.slice(0, 19)
  );
}

export function encodeRoomCursor({ activityAt, id }: RoomCursor): string {
  return Buffer.from(`${activityAt} ${id}`).toString('base64url');
}

export function decodeRoomCursor(cursor: string): RoomCursor {
  const [activityAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString().split(' ');
  if (rest.length > 0 || !isInstant(activityAt ?? '') || !ID_PATTERN.test(id ?? '')) {
    throw ChatError.validation(['after must be the cursor of a Link header']);
  }
  return { activityAt, id };
}
