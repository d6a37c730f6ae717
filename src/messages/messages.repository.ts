import { Injectable } from '@nestjs/common';
import { ChatError } from '../common/chat-error.js';
import { MAX_COUNTER } from '../common/limits.js';
import { MicroBatch } from '../common/micro-batch.js';
import { Metrics } from '../metrics/metrics.js';
import { AppConfig } from '../config/app-config.js';
import { Sql } from '../database/sql.js';
import { constraintName, sqlState } from '../database/sql-errors.js';
import { MEMBERSHIP_MOVED, type MembershipMoved } from '../rooms/membership.repository.js';
import { CHANGE_MESSAGE } from './change-message.js';
import {
  INSERT_BATCH,
  insertBatchParameters,
  MESSAGE_COLUMNS,
  type MessageRow,
  type NewMessage,
} from './insert-batch.js';
import type { Message } from './message.js';

export interface StoredMessage {
  message: Message;
  /** False when a message with this id was already stored in its room (maybe a different one). */
  created: boolean;
}

/** A message's key: its id is unique within its room (ids and room ids hold no `/`). */
const keyOf = ({ roomId, messageId }: { roomId: string; messageId: string }) => `${roomId}/${messageId}`;

type Nullable<T> = { [K in keyof T]: T[K] | null };

// Runs of the batch statement that store nothing and find no stored id to
// leave out, before the batch is answered 'unavailable'.
const MAX_FRUITLESS_ATTEMPTS = 5;

/** The statement failed on a (room, id) that is stored already (maybe just now, by another writer). */
function isStoredKey(error: unknown): boolean {
  return sqlState(error) === '23505' && constraintName(error) === 'messages_room_message_pkey';
}

/**
 * Nothing was stored, so the batch can run again: without the messages that
 * turned out to be stored, or as it was after a deadlock (with a writer outside this
 * code: batches do not deadlock each other). Any other unique violation (a
 * repeated seq) would be a bug, and is not hidden by retrying.
 */
function isRetryable(error: unknown): boolean {
  return isStoredKey(error) || sqlState(error) === '40P01';
}

/**
 * All SQL about messages, and where `seq` and idempotency are enforced:
 * messages arriving together are stored by one statement (group commit).
 */
@Injectable()
export class MessagesRepository {
  private readonly batches: MicroBatch<NewMessage, StoredMessage | MembershipMoved>;

  constructor(
    private readonly sql: Sql,
    private readonly metrics: Metrics,
    config: AppConfig,
  ) {
    this.batches = new MicroBatch((items) => this.insertBatch(items), {
      // Two batches in flight keep Postgres busy while the next one fills up.
      maxInFlight: 2,
      maxBatch: 500,
      // A statement costs about as much as the messages it carries, on the
      // instance (a round trip, its wake-ups) and in Postgres: spacing them
      // makes messages arriving under load share one (README, Performance).
      minSpacingMs: config.messageBatchSpacingMs,
    });
  }

  /**
   * Stores the message with the room's next `seq`, or returns the message
   * already stored under that id in that room (`created: false`). Resolves
   * after the commit, together with the other messages of its batch.
   * MEMBERSHIP_MOVED: nothing was stored, because the room's membership is
   * no longer `membersVersion` (or the room does not exist).
   */
  insert(message: NewMessage): Promise<StoredMessage | MembershipMoved> {
    return this.batches.submit(message);
  }

  /** The seq of a message of this room, or null when the room has no such message. */
  async seqOf(roomId: string, messageId: string): Promise<number | null> {
    const rows = await this.sql.query<{ seq: number }>(
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
    const rows = await this.sql.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
       WHERE room_id = $1 AND seq > $2 AND seq < $3
       ORDER BY seq ${newestFirst ? 'DESC' : 'ASC'}
       LIMIT $4`,
      [roomId, range.afterSeq ?? 0, range.beforeSeq ?? MAX_COUNTER, range.limit],
    );
    const messages = rows.map(toMessage);
    return newestFirst ? messages.reverse() : messages;
  }

  /**
   * Edits the message (`content`) or deletes it (`content: null`) when
   * `senderId` sent it and it is not deleted, taking the room's next `rev`.
   * Answers its latest state, with `changed: false` when nothing changed (not
   * the sender, deleted already, the same content); null when the room has
   * no such message; MEMBERSHIP_MOVED (nothing changed) when the room's
   * membership is no longer `membersVersion` or the room does not exist.
   */
  async change(change: {
    roomId: string;
    messageId: string;
    senderId: string;
    content: string | null;
    membersVersion: number;
  }): Promise<{ message: Message; changed: boolean } | null | MembershipMoved> {
    const [row] = await this.sql.query<Nullable<MessageRow> & { members_version: number; changed: boolean }>(
      CHANGE_MESSAGE,
      [change.roomId, change.messageId, change.senderId, change.content, change.membersVersion],
    );
    if (!row || row.members_version !== change.membersVersion) {
      return MEMBERSHIP_MOVED;
    }
    return row.message_id === null ? null : { message: toMessage(row as MessageRow), changed: row.changed };
  }

  /**
   * Up to `limit` messages whose latest change is after `sinceRev`, by `rev`,
   * and the room's current `rev`, read together (one snapshot): a room's
   * changes commit in `rev` order, so what is read is every change up to
   * that `rev`, and the next page starts where this one ends. Null when the
   * room does not exist.
   */
  async changesSince(
    roomId: string,
    sinceRev: number,
    limit: number,
  ): Promise<{ changes: Message[]; rev: number } | null> {
    const rows = await this.sql.query<Nullable<MessageRow> & { room_rev: number }>(
      `SELECT r.last_rev AS room_rev, m.*
       FROM rooms r
       LEFT JOIN LATERAL (
         SELECT ${MESSAGE_COLUMNS} FROM messages
         WHERE room_id = r.id AND rev > $2
         ORDER BY rev
         LIMIT $3
       ) m ON true
       WHERE r.id = $1
       ORDER BY m.rev`,
      [roomId, sinceRev, limit],
    );
    if (rows.length === 0) {
      return null;
    }
    const changes = rows.filter((row): row is MessageRow & { room_rev: number } => row.message_id !== null);
    return { changes: changes.map(toMessage), rev: rows[0].room_rev };
  }

  /**
   * One outcome per item. A (room, id) may come twice in one batch (a client
   * retrying at once, or two clients of a room choosing the same id): the
   * first item is the one stored and `created`; the others are answered with
   * what it stored and `created: false`, so the service tells a replay from a
   * conflict exactly as for a message stored earlier. The same id in two
   * rooms is two messages. The statement takes one membership version per
   * room: a message decided on another version than the room's first one in
   * the batch is answered MEMBERSHIP_MOVED (its sender is checked again).
   */
  private async insertBatch(items: NewMessage[]): Promise<(StoredMessage | MembershipMoved)[]> {
    const firstByKey = new Map<string, NewMessage>();
    const versionByRoom = new Map<string, number>();
    for (const item of items) {
      const version = versionByRoom.get(item.roomId) ?? item.membersVersion;
      if (!firstByKey.has(keyOf(item)) && version === item.membersVersion) {
        firstByKey.set(keyOf(item), item);
        versionByRoom.set(item.roomId, version);
      }
    }
    const { inserted, stored } = await this.insertNew([...firstByKey.values()]);
    this.metrics.messageBatchSize.observe(items.length);
    this.metrics.messagesStored.inc(inserted.size);
    return items.map((item) => {
      const row = inserted.get(keyOf(item));
      if (row) {
        return { message: toMessage(row), created: firstByKey.get(keyOf(item)) === item };
      }
      const earlier = stored.get(keyOf(item));
      // Neither inserted nor found: the room's membership moved since the
      // sender was checked (or the room does not exist); nothing was stored.
      return earlier ? { message: earlier, created: false } : MEMBERSHIP_MOVED;
    });
  }

  /**
   * Inserts the messages whose keys are not stored yet (`items` has distinct
   * keys); `stored` holds the ones that were, as stored, by key. A message for
   * a room that does not exist or whose membership moved is in neither.
   */
  private async insertNew(
    items: NewMessage[],
  ): Promise<{ inserted: Map<string, MessageRow>; stored: Map<string, Message> }> {
    const stored = new Map<string, Message>();
    let pending = items;
    let fruitless = 0;
    for (;;) {
      try {
        const rows =
          pending.length === 0
            ? []
            : await this.sql.prepared<MessageRow>(
                'insert-message-batch',
                INSERT_BATCH,
                insertBatchParameters(pending),
              );
        return { inserted: new Map(rows.map((row) => [keyOf(toMessage(row)), row])), stored };
      } catch (error) {
        if (!isRetryable(error)) {
          throw error;
        }
        const before = pending.length;
        if (isStoredKey(error)) {
          for (const message of await this.findMany(pending)) {
            stored.set(keyOf(message), message);
          }
          pending = pending.filter((m) => !stored.has(keyOf(m)));
        }
        // Leaving out a stored message is progress, and happens at most once per
        // item; only retries that change nothing are bounded.
        if (pending.length === before && ++fruitless >= MAX_FRUITLESS_ATTEMPTS) {
          // Nothing was stored; the clients' retries (same ids) will find
          // the ids that kept colliding and store the rest.
          throw ChatError.unavailable('Too much contention on these message ids; retry');
        }
      }
    }
  }

  /** The stored messages among these keys. */
  private async findMany(keys: readonly { roomId: string; messageId: string }[]): Promise<Message[]> {
    if (keys.length === 0) {
      return [];
    }
    const rows = await this.sql.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
       WHERE (room_id, message_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [keys.map((k) => k.roomId), keys.map((k) => k.messageId)],
    );
    return rows.map(toMessage);
  }
}

function toMessage(row: MessageRow): Message {
  return {
    messageId: row.message_id,
    roomId: row.room_id,
    seq: row.seq,
    rev: row.rev,
    senderId: row.sender_id,
    content: row.content,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
  };
}
