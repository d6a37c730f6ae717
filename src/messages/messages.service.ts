import { Injectable } from '@nestjs/common';
import { ChatError } from '../common/chat-error.js';
import { ID_PATTERN } from '../common/string-rules.js';
import { Broadcaster } from '../realtime/broadcaster.js';
import { MEMBERSHIP_MOVED } from '../rooms/membership.repository.js';
import { RoomMembership } from '../rooms/room-membership.js';
import type { ListChangesQuery } from './dto/list-changes.query.js';
import type { ListMessagesQuery } from './dto/list-messages.query.js';
import type { SendMessageDto } from './dto/send-message.dto.js';
import { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { Message } from './message.js';
import { toMessageResponse, type ChangesResponse, type MessageResponse } from './message.response.js';
import { MessagesRepository } from './messages.repository.js';

@Injectable()
export class MessagesService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly membership: RoomMembership,
    private readonly rateLimiter: RateLimiter,
    private readonly broadcaster: Broadcaster,
  ) {}

  /**
   * Stores the message (or finds the earlier attempt with the same id) and
   * broadcasts it to the room. Resolves only after the commit.
   */
  async send(
    callerId: string,
    roomId: string,
    dto: SendMessageDto,
  ): Promise<{ message: MessageResponse; created: boolean }> {
    if (dto.senderId !== undefined && dto.senderId !== callerId) {
      throw ChatError.forbidden('senderId must be your own user id');
    }
    await this.rateLimiter.take('send', callerId);
    const attempt = { messageId: dto.messageId, roomId, senderId: callerId, content: dto.content };
    // Stored only under the membership it was decided on: its participants are the room's at the commit.
    const { stored, participantIds } = await this.membership.write(callerId, roomId, async (membership) => {
      const stored = await this.messages.insert({ ...attempt, membersVersion: membership.version });
      return stored === MEMBERSHIP_MOVED ? stored : { stored, participantIds: membership.participantIds };
    });
    const { message, created } = stored;
    // A replay commits nothing, so nothing confirmed the membership it was
    // decided on: the caller and the recipients are checked now.
    const recipients = created ? participantIds : await this.membership.requireParticipant(callerId, roomId);
    if (!created && !isSameMessage(message, attempt)) {
      throw ChatError.conflict(`messageId ${dto.messageId} is already used by another message`);
    }
    const response = toMessageResponse(message);
    // A retry is broadcast again: live delivery is at-least-once, and the
    // client that retried may be the only one that missed the first one.
    this.broadcaster.messageCreated(response, recipients);
    return { message: response, created };
  }

  /** §9: the sender edits a message; the same content again answers it and broadcasts nothing. */
  edit(callerId: string, roomId: string, messageId: string, content: string): Promise<MessageResponse> {
    return this.change(callerId, roomId, messageId, content);
  }

  /** §9: the sender deletes a message, leaving a tombstone; deleting again answers the same tombstone. */
  delete(callerId: string, roomId: string, messageId: string): Promise<MessageResponse> {
    return this.change(callerId, roomId, messageId, null);
  }

  async list(callerId: string, roomId: string, query: ListMessagesQuery): Promise<MessageResponse[]> {
    if (query.before && query.after) {
      throw ChatError.validation(['use either before or after, not both']);
    }
    await this.membership.requireParticipant(callerId, roomId);
    const afterSeq = query.after ? await this.cursorSeq(roomId, 'after', query.after) : undefined;
    const beforeSeq = query.before ? await this.cursorSeq(roomId, 'before', query.before) : undefined;
    const messages = await this.messages.page(roomId, { afterSeq, beforeSeq, limit: query.limit });
    return messages.map(toMessageResponse);
  }

  /** Every message changed after `query.since` (new, edited or deleted), by `rev`. */
  async changes(callerId: string, roomId: string, query: ListChangesQuery): Promise<ChangesResponse> {
    await this.membership.requireParticipant(callerId, roomId);
    const page = await this.messages.changesSince(roomId, query.since, query.limit);
    if (!page) {
      throw ChatError.notFound(`Room ${roomId} does not exist`);
    }
    return { changes: page.changes.map(toMessageResponse), rev: page.rev };
  }

  /** An edit (`content`) or a delete (`null`), broadcast only when it changed something. */
  private async change(
    callerId: string,
    roomId: string,
    messageId: string,
    content: string | null,
  ): Promise<MessageResponse> {
    await this.rateLimiter.take('change', callerId);
    if (!ID_PATTERN.test(messageId)) {
      // A path parameter arrives unchecked: an id no message can have is not looked up.
      await this.membership.requireParticipant(callerId, roomId);
      throw ChatError.notFound(`Message ${messageId} does not exist in this room`);
    }
    // Applied only under the membership it was decided on (as for a new message).
    const { outcome, participantIds } = await this.membership.write(callerId, roomId, async (membership) => {
      const change = { roomId, messageId, senderId: callerId, content, membersVersion: membership.version };
      const outcome = await this.messages.change(change);
      return outcome === MEMBERSHIP_MOVED ? outcome : { outcome, participantIds: membership.participantIds };
    });
    if (!outcome) {
      throw ChatError.notFound(`Message ${messageId} does not exist in this room`);
    }
    const { message, changed } = outcome;
    if (message.senderId !== callerId) {
      throw ChatError.forbidden('Only the sender may edit or delete a message');
    }
    if (!changed && content !== null && message.deletedAt) {
      throw ChatError.conflict(`Message ${messageId} is deleted and cannot be edited`);
    }
    const response = toMessageResponse(message);
    if (changed) {
      if (content === null) {
        this.broadcaster.messageDeleted(response, participantIds);
      } else {
        this.broadcaster.messageUpdated(response, participantIds);
      }
    }
    return response;
  }

  private async cursorSeq(roomId: string, name: string, messageId: string): Promise<number> {
    const seq = await this.messages.seqOf(roomId, messageId);
    if (seq === null) {
      throw ChatError.validation([`${name} must be the id of a message in this room`]);
    }
    return seq;
  }
}

/**
 * A retry of the stored message, rather than another message with its id.
 * Once edited or deleted its first content is gone, so a retry by its sender
 * is taken at its word: answering the stored message never stores twice.
 */
function isSameMessage(stored: Message, attempt: Pick<Message, 'roomId' | 'senderId' | 'content'>): boolean {
  return (
    stored.roomId === attempt.roomId &&
    stored.senderId === attempt.senderId &&
    (stored.content === attempt.content || stored.editedAt !== null || stored.deletedAt !== null)
  );
}
