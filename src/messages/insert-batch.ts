export interface NewMessage {
  messageId: string;
  roomId: string;
  senderId: string;
  content: string;
  /** The room's `members_version` its sender was checked against (room-membership.ts). */
  membersVersion: number;
}

/** A `messages` row as the driver returns it. */
export interface MessageRow {
  message_id: string;
  room_id: string;
  seq: number;
  rev: number;
  sender_id: string;
  content: string;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
}

export const MESSAGE_COLUMNS =
  'message_id, room_id, seq, rev, sender_id, content, created_at, edited_at, deleted_at';

/**
 * One statement stores a whole batch, atomically and without a transaction
 * block (one round trip). It bumps each room's `last_seq` and `last_rev` by
 * its number of messages and numbers them from there, so a room's messages
 * commit in `seq` order and its changes (these, edits, deletes: all take the
 * same room lock first) in `rev` order, with no gaps.
 *
 * A room's messages are stored only if its `members_version` is still the
 * one their senders were checked against and their recipients read from.
 * Adds and leaves bump it under the same room lock, so once this statement
 * holds the lock the version cannot move before it commits; the UPDATE
 * compares it on the room's latest row (a row changed while this statement
 * waited is re-read and re-checked), and a room that fails the comparison is
 * neither bumped nor written: its messages are missing from the answer, and
 * their senders are checked again.
 *
 * Two batches cannot deadlock: each locks all its rooms first, in id order,
 * and only then inserts (the ORDER BY makes every room lock come before the
 * first insert: the sort reads all its input before it yields a row). Every
 * key a batch inserts, (room, messageId) and (room, seq), belongs to a room
 * it holds locked until it commits, so no batch ever waits on another's
 * uncommitted key: the only waits are for room locks, taken in one order.
 *
 * The statement never reads `messages`: a (room, id) that is already stored
 * fails it on the primary key, which rolls back every bump, and the caller
 * retries without that message. A lookup would have to be planned, and a
 * plan cached while the table was small scans the whole table on every batch
 * once it is not; the unique index checks the key anyway. For the same
 * reason `rooms` and `room_participants` are only ever reached through
 * `… = ANY(...)` on their keys, which stays an index scan.
 *
 * Sending a message reads the room up to it (§6): each sender's read marker
 * moves to their newest message of the batch in the same statement, so the
 * marker commits with the message and costs no second round trip. Only rooms
 * the batch stored messages in (so holds locked, at the checked membership
 * version) are touched, after their room locks: it adds no lock order.
 *
 * Per message, in batch order: $1 id, $2 room, $3 sender, $4 content, $5 its
 * position among the batch's messages of its room (1, 2, ...). Per room: $6
 * the distinct rooms, $7 how many messages each gets, $8 the membership
 * version they were decided on.
 */
export const INSERT_BATCH = `
WITH locked AS (
  SELECT id FROM rooms WHERE id = ANY($6::text[]) ORDER BY id FOR NO KEY UPDATE
), bumped AS (
  UPDATE rooms r
  SET last_seq = r.last_seq + c.n, last_rev = r.last_rev + c.n, last_activity_at = clock_timestamp()
  FROM unnest($6::text[], $7::int[], $8::int[]) AS c(room_id, n, members_version)
  WHERE r.id = ANY($6::text[]) AND r.id = c.room_id AND r.id IN (SELECT id FROM locked)
    AND r.members_version = c.members_version
  RETURNING r.id AS room_id, r.last_seq - c.n AS base, r.last_rev - c.n AS rev_base
), inserted AS (
  INSERT INTO messages (message_id, room_id, seq, rev, sender_id, content, created_at)
  SELECT i.message_id, i.room_id, b.base + i.position, b.rev_base + i.position, i.sender_id, i.content,
    clock_timestamp()
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])
    AS i(message_id, room_id, sender_id, content, position)
  JOIN bumped b ON b.room_id = i.room_id
  ORDER BY i.room_id, i.position
  RETURNING ${MESSAGE_COLUMNS}
), marked AS (
  UPDATE room_participants p SET last_read_seq = GREATEST(p.last_read_seq, s.seq)
  FROM (SELECT room_id, sender_id, max(seq) AS seq FROM inserted GROUP BY room_id, sender_id) s
  WHERE p.room_id = ANY($6::text[]) AND p.room_id = s.room_id AND p.user_id = s.sender_id
)
SELECT ${MESSAGE_COLUMNS} FROM inserted`;

/**
 * INSERT_BATCH's parameters, in its order, for messages with distinct
 * (room, id) keys and one membership version per room (the first message's
 * of each room counts). Messages of a room that does not exist, or whose
 * version moved, are left out by the statement.
 */
export function insertBatchParameters(messages: readonly NewMessage[]): unknown[] {
  const countByRoom = new Map<string, number>();
  const versionByRoom = new Map<string, number>();
  const positions = messages.map(({ roomId, membersVersion }) => {
    const position = (countByRoom.get(roomId) ?? 0) + 1;
    countByRoom.set(roomId, position);
    if (position === 1) {
      versionByRoom.set(roomId, membersVersion);
    }
    return position;
  });
  return [
    messages.map((m) => m.messageId),
    messages.map((m) => m.roomId),
    messages.map((m) => m.senderId),
    messages.map((m) => m.content),
    positions,
    [...countByRoom.keys()],
    [...countByRoom.values()],
    [...versionByRoom.values()],
  ];
}
