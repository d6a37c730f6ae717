import { Injectable } from '@nestjs/common';
import { ChatError } from '../common/chat-error.js';
import { MAX_COUNTER } from '../common/limits.js';
import { ID_PATTERN } from '../common/string-rules.js';
import { RateLimiter } from '../rate-limit/rate-limiter.js';
import { Broadcaster } from '../realtime/broadcaster.js';
import type { ReadMarker } from './room.js';
import { RoomMembership } from './room-membership.js';
import { RoomsRepository } from './rooms.repository.js';

/** §6: each participant's read marker per room, and the receipts it sends. */
@Injectable()
export class ReadStateService {
  constructor(
    private readonly rooms: RoomsRepository,
    private readonly membership: RoomMembership,
    private readonly rateLimiter: RateLimiter,
    private readonly broadcaster: Broadcaster,
  ) {}

  /**
   * Moves the caller's marker to `seq` (capped at the room's last message,
   * never back). Only a marker that moved is broadcast, to every socket of
   * every participant: the reader's other devices clear their badge, the
   * others see a receipt. The participants are those the marker's own
   * statement read: a leave acknowledged before it is not told, an add is.
   */
  async markRead(callerId: string, roomId: string, seq: number): Promise<ReadMarker> {
    await this.rateLimiter.take('signal', callerId);
    // Any integer is a place in the room (§6); past the largest seq a room can reach, it is its end.
    const result = ID_PATTERN.test(roomId)
      ? await this.rooms.moveReadMarker(roomId, callerId, Math.min(seq, MAX_COUNTER))
      : null;
    const { participantIds } = this.membership.requireIn(callerId, roomId, result?.membership ?? null);
    if (!result?.marker) {
      // In the room as the snapshot saw it, but its row is gone: a leave committed meanwhile.
      throw ChatError.forbidden(`You are not a participant of room ${roomId}`);
    }
    const read = { roomId, userId: callerId, lastReadSeq: result.marker.lastReadSeq };
    if (result.marker.moved) {
      this.broadcaster.roomRead(read, participantIds);
    }
    return read;
  }

  async markers(callerId: string, roomId: string): Promise<Omit<ReadMarker, 'roomId'>[]> {
    await this.membership.requireParticipant(callerId, roomId);
    return this.rooms.readMarkers(roomId);
  }
}
