import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ChatError } from '../common/chat-error.js';
import { MicroBatch } from '../common/micro-batch.js';
import { PreparedStatements, sqlState } from '../database/prepared-statements.js';
import { Message } from './message.entity.js';

export interface NewMessage {
  messageId: string;
  roomId: string;
  senderId: string;
  content: string;
}

export interface StoredMessage {
  message: Message;
  /** False when a message with this id was already stored (maybe a different one). */
  created: boolean;
}

interface MessageRow {
  message_id: string;
  room_id: string;
  seq: number;
  sender_id: string;
  content: string;
  created_at: Date;
}

const COLUMNS = 'message_id, room_id, seq, sender_id, content, created_at';

/**
 * One statement stores a whole batch, atomically and without a transaction
 * block (one round trip). Per room it takes the row lock (rooms in id order,
 * so concurrent batches cannot deadlock each other), bumps `last_seq` by the
 * number of new messages and numbers them from there, so a room's messages
 * commit in `seq` order with no gaps. Ids that are already stored are left
 * out; if one is stored concurrently, the unique key fails the statement,
 * which rolls back every bump, and the batch is retried.
 */
const INSERT_BATCH = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
    WITH ORDINALITY AS i(message_id, room_id, sender_id, content, ord)
), fresh AS (
  SELECT i.* FROM input i
  WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.message_id = i.message_id)
), locked AS (
  SELECT r.id FROM rooms r WHERE r.id IN (SELECT room_id FROM fresh) ORDER BY r.id FOR UPDATE
), counts AS (
  SELECT room_id, count(*)::int AS n FROM fresh GROUP BY room_id
), bumped AS (
  UPDATE rooms r SET last_seq = r.last_seq + c.n, last_activity_at = clock_timestamp()
  FROM counts c JOIN locked l ON l.id = c.room_id
  WHERE r.id = c.room_id
  RETURNING r.id AS room_id, r.last_seq - c.n AS base
)
INSERT INTO messages (${COLUMNS})
SELECT f.message_id, f.room_id, b.base + row_number() OVER (PARTITION BY f.room_id ORDER BY f.ord),
       f.sender_id, f.content, clock_timestamp()
FROM fresh f JOIN bumped b ON b.room_id = f.room_id
RETURNING ${COLUMNS}`;

const MAX_ATTEMPTS = 5;

/**
 * A message id stored meanwhile by another writer (the statement's snapshot
 * could not see it), or a deadlock with a writer outside this code: nothing
 * was stored, so the batch can simply run again. Any other unique violation
 * (a repeated seq) would be a bug, and is not hidden by retrying.
 */
function isRetryable(error: unknown): boolean {
  const state = sqlState(error);
  const constraint = error as { constraint?: unknown; driverError?: { constraint?: unknown } };
  const name = constraint.driverError?.constraint ?? constraint.constraint;
  return state === '40P01' || (state === '23505' && name === 'messages_pkey');
}

/** Postgres access for messages: where `seq` and idempotency are enforced. */
@Injectable()
export class MessageStore {
  private readonly batches = new MicroBatch<NewMessage, StoredMessage | ChatError>(
    (items) => this.insertBatch(items),
    {
      // Two batches in flight keep Postgres busy while the next one fills up.
      maxInFlight: 2,
      maxBatch: 500,
    },
  );

  constructor(
    private readonly db: DataSource,
    private readonly statements: PreparedStatements,
  ) {}

  /**
   * Stores the message with the room's next `seq`, or returns the message
   * already stored under that id (`created: false`). Resolves after the
   * commit, together with the other messages of its batch.
   */
  async insert(message: NewMessage): Promise<StoredMessage> {
    const outcome = await this.batches.submit(message);
    if (outcome instanceof ChatError) {
      throw outcome;
    }
    return outcome;
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
      `SELECT ${COLUMNS} FROM messages
       WHERE room_id = $1 AND seq > $2 AND seq < $3
       ORDER BY seq ${newestFirst ? 'DESC' : 'ASC'}
       LIMIT $4`,
      [roomId, range.afterSeq ?? 0, range.beforeSeq ?? 2_147_483_647, range.limit],
    );
    const messages = rows.map(toMessage);
    return newestFirst ? messages.reverse() : messages;
  }

  /**
   * One outcome per item. A message id may come twice in one batch (a client
   * retrying at once, or two clients choosing the same id): the first item
   * is the one stored and `created`; the others are answered with what it
   * stored and `created: false`, so the service tells a replay from a
   * conflict exactly as for an id stored earlier.
   */
  private async insertBatch(items: NewMessage[]): Promise<(StoredMessage | ChatError)[]> {
    const firstById = new Map<string, NewMessage>();
    for (const item of items) {
      if (!firstById.has(item.messageId)) {
        firstById.set(item.messageId, item);
      }
    }
    const unique = [...firstById.values()];
    const inserted = new Map((await this.insertWithRetry(unique)).map((row) => [row.message_id, row]));
    const earlier = await this.findMany(
      unique.filter((m) => !inserted.has(m.messageId)).map((m) => m.messageId),
    );
    return items.map((item) => {
      const row = inserted.get(item.messageId);
      if (row) {
        return { message: toMessage(row), created: firstById.get(item.messageId) === item };
      }
      const stored = earlier.get(item.messageId);
      // Neither inserted nor found: only a room that does not exist leaves
      // nothing (the caller checked participation, so this is a safeguard).
      return stored
        ? { message: stored, created: false }
        : ChatError.notFound(`Room ${item.roomId} does not exist`);
    });
  }

  private async insertWithRetry(items: NewMessage[]): Promise<MessageRow[]> {
    const values = [
      items.map((m) => m.messageId),
      items.map((m) => m.roomId),
      items.map((m) => m.senderId),
      items.map((m) => m.content),
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.statements.run<MessageRow>('insert-message-batch', INSERT_BATCH, values);
      } catch (error) {
        if (!isRetryable(error)) {
          throw error;
        }
        if (attempt >= MAX_ATTEMPTS) {
          // Nothing was stored; the clients' retries (same ids) will find
          // the ids that kept colliding and store the rest.
          throw ChatError.unavailable('Too much contention on these message ids; retry');
        }
      }
    }
  }

  private async findMany(messageIds: string[]): Promise<Map<string, Message>> {
    if (messageIds.length === 0) {
      return new Map();
    }
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM messages WHERE message_id = ANY($1::text[])`,
      [messageIds],
    );
    return new Map(rows.map((row) => [row.message_id, toMessage(row)]));
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
