import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ChatError } from '../common/chat-error.js';
import { Message } from './message.entity.js';

export interface NewMessage {
  messageId: string;
  roomId: string;
  senderId: string;
  content: string;
}

interface MessageRow {
  message_id: string;
  room_id: string;
  seq: number;
  sender_id: string;
  content: string;
  created_at: Date;
}

const MESSAGE_COLUMNS = 'message_id, room_id, seq, sender_id, content, created_at';

/** Thrown inside the insert transaction to undo the seq it took. */
class AlreadyStored extends Error {}

/** Postgres access for messages: where `seq` and idempotency are enforced. */
@Injectable()
export class MessageStore {
  constructor(private readonly db: DataSource) {}

  /**
   * Stores the message with the room's next `seq`, or returns the message
   * already stored under that id (`created: false`). Bumping `rooms.last_seq`
   * takes the room's row lock until commit, so a room's messages commit in
   * `seq` order with no gaps; a duplicate id rolls the bump back.
   */
  async insert(message: NewMessage): Promise<{ message: Message; created: boolean }> {
    try {
      const row = await this.db.transaction(async (tx) => {
        const rows: MessageRow[] = await tx.query(
          `WITH room AS (
             UPDATE rooms SET last_seq = last_seq + 1, last_activity_at = clock_timestamp()
             WHERE id = $2 RETURNING last_seq
           )
           INSERT INTO messages (message_id, room_id, seq, sender_id, content, created_at)
           SELECT $1, $2, room.last_seq, $3, $4, clock_timestamp() FROM room
           ON CONFLICT (message_id) DO NOTHING
           RETURNING ${MESSAGE_COLUMNS}`,
          [message.messageId, message.roomId, message.senderId, message.content],
        );
        if (rows.length === 0) {
          throw new AlreadyStored();
        }
        return rows[0];
      });
      return { message: toMessage(row), created: true };
    } catch (error) {
      if (!(error instanceof AlreadyStored)) {
        throw error;
      }
      const stored = await this.findById(message.messageId);
      if (!stored) {
        // Nothing under that id: the room itself is gone, so nothing was inserted.
        throw ChatError.notFound(`Room ${message.roomId} does not exist`);
      }
      return { message: stored, created: false };
    }
  }

  async findById(messageId: string): Promise<Message | null> {
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE message_id = $1`,
      [messageId],
    );
    return rows.length > 0 ? toMessage(rows[0]) : null;
  }

  /** The seq of a message of this room, or null when the room has no such message. */
  async seqOf(roomId: string, messageId: string): Promise<number | null> {
    const rows: { seq: number }[] = await this.db.query(
      'SELECT seq FROM messages WHERE message_id = $1 AND room_id = $2',
      [messageId, roomId],
    );
    return rows[0]?.seq ?? null;
  }

  /** Up to `limit` messages with seq in (afterSeq, beforeSeq), oldest first. */
  async page(
    roomId: string,
    range: { afterSeq?: number; beforeSeq?: number; limit: number },
  ): Promise<Message[]> {
    // Without `after`, the page is the newest end of the range.
    const newestFirst = range.afterSeq === undefined;
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
       WHERE room_id = $1 AND seq > $2 AND seq < $3
       ORDER BY seq ${newestFirst ? 'DESC' : 'ASC'}
       LIMIT $4`,
      [roomId, range.afterSeq ?? 0, range.beforeSeq ?? 2_147_483_647, range.limit],
    );
    const messages = rows.map(toMessage);
    return newestFirst ? messages.reverse() : messages;
  }
}

function toMessage(row: MessageRow): Message {
  return Object.assign(new Message(), {
    messageId: row.message_id,
    roomId: row.room_id,
    seq: row.seq,
    senderId: row.sender_id,
    content: row.content,
    createdAt: row.created_at,
  });
}
