export interface NewMessage {
  messageId: string;
  roomId: string;
  senderId: string;
  content: string;
}

export const MESSAGE_COLUMNS = 'message_id, room_id, seq, sender_id, content, created_at';

/**
 * One statement stores a whole batch, atomically and without a transaction
 * block (one round trip). It locks the batch's rooms in id order (so
 * concurrent batches cannot deadlock each other), bumps each room's
 * `last_seq` by its number of messages and numbers them from there, so a
 * room's messages commit in `seq` order with no gaps.
 *
 * The statement never reads `messages`: an id that is already stored fails
 * it on the primary key, which rolls back every bump, and the caller retries
 * without that id. A lookup would have to be planned, and a plan cached
 * while the table was small scans the whole table on every batch once it is
 * not; the unique index checks the id anyway.
 *
 * $1..$4: per message id, room, sender, content; $7: its position among the
 * batch's messages of its room (1, 2, ...). $5, $6: the distinct rooms and
 * how many messages each gets.
 */
export const INSERT_BATCH = `
WITH locked AS (
  SELECT id FROM rooms WHERE id = ANY($5::text[]) ORDER BY id FOR NO KEY UPDATE
), bumped AS (
  UPDATE rooms r SET last_seq = r.last_seq + c.n, last_activity_at = clock_timestamp()
  FROM unnest($5::text[], $6::int[]) AS c(room_id, n)
  WHERE r.id = c.room_id AND r.id IN (SELECT id FROM locked)
  RETURNING r.id AS room_id, r.last_seq - c.n AS base
)
INSERT INTO messages (${MESSAGE_COLUMNS})
SELECT i.message_id, i.room_id, b.base + i.k, i.sender_id, i.content, clock_timestamp()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $7::int[])
  AS i(message_id, room_id, sender_id, content, k)
JOIN bumped b ON b.room_id = i.room_id
RETURNING ${MESSAGE_COLUMNS}`;

/** INSERT_BATCH's parameters for messages with distinct ids, in batch order. */
export function insertBatchParameters(messages: readonly NewMessage[]): unknown[] {
  const perRoom = new Map<string, number>();
  const positions = messages.map(({ roomId }) => {
    const position = (perRoom.get(roomId) ?? 0) + 1;
    perRoom.set(roomId, position);
    return position;
  });
  const rooms = [...perRoom.keys()];
  return [
    messages.map((m) => m.messageId),
    messages.map((m) => m.roomId),
    messages.map((m) => m.senderId),
    messages.map((m) => m.content),
    rooms,
    rooms.map((room) => perRoom.get(room)),
    positions,
  ];
}
