import { MESSAGE_COLUMNS } from './insert-batch.js';

/**
 * Edits or deletes one message in one statement (§9), so the change and the
 * room's next `rev` commit together or not at all.
 *
 * The room is locked first (the sub-select runs before the message is even
 * read), as the group-commit batch locks it: a room's changes then commit in
 * `rev` order, and an edit never waits on a batch while holding something
 * the batch needs (a message is only ever locked by a holder of its room). Under that lock the message is
 * read with FOR UPDATE, which in READ COMMITTED returns its latest committed
 * state even if another change committed while this one waited: whether
 * anything changes (sender, not deleted, different content) is decided on
 * that state, and only then is `last_rev` bumped, so a change that turns out
 * to be nothing takes no `rev` and leaves no gap.
 *
 * As in the batch insert, nothing changes unless the room's
 * `members_version` is still $5, the version the caller was checked against
 * and its recipients read from (adds and leaves take the same lock).
 *
 * $1 room, $2 message id, $3 the caller (only the sender changes a message),
 * $4 the new content, or null to delete (content emptied, `deleted_at` set),
 * $5 the membership version. Answers the room's membership version and the
 * message's latest state with `changed` (null columns when the room has no
 * such message); no row when there is no such room.
 */
export const CHANGE_MESSAGE = `
WITH room AS (
  SELECT id, members_version FROM rooms WHERE id = $1 FOR NO KEY UPDATE
), target AS (
  SELECT ${MESSAGE_COLUMNS} FROM messages
  WHERE room_id = (SELECT id FROM room) AND message_id = $2
  FOR UPDATE
), bumped AS (
  UPDATE rooms r SET last_rev = r.last_rev + 1
  FROM target t
  WHERE r.id = $1 AND r.members_version = $5
    AND t.sender_id = $3 AND t.deleted_at IS NULL AND t.content IS DISTINCT FROM $4::text
  RETURNING r.last_rev
), changed AS (
  UPDATE messages m
  SET rev = b.last_rev,
      content = coalesce($4::text, ''),
      edited_at = CASE WHEN $4::text IS NULL THEN m.edited_at ELSE clock_timestamp() END,
      deleted_at = CASE WHEN $4::text IS NULL THEN clock_timestamp() END
  FROM bumped b
  WHERE m.room_id = $1 AND m.message_id = $2
  RETURNING ${MESSAGE_COLUMNS}
), outcome AS (
  SELECT *, true AS changed FROM changed
  UNION ALL
  SELECT *, false FROM target WHERE NOT EXISTS (SELECT 1 FROM changed)
)
SELECT room.members_version, outcome.* FROM room LEFT JOIN outcome ON true`;
