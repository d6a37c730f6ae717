import { Injectable } from '@nestjs/common';
import { ChatError } from '../common/chat-error.js';
import { newId } from '../common/ids.js';
import { RateLimiter } from '../rate-limit/rate-limiter.js';
import { Broadcaster } from '../realtime/broadcaster.js';
import { UsersService } from '../users/users.service.js';
import { MembershipRepository } from './membership.repository.js';
import { directKey, newParticipants, roomName, roomParticipants } from './participants.js';
import { RoomMembership } from './room-membership.js';
import type { RoomPosition } from './room.js';
import { toRoomResponse, type RoomResponse } from './room.response.js';
import { decodeRoomCursor, encodeRoomCursor } from './room-cursor.js';
import { RoomsRepository } from './rooms.repository.js';

@Injectable()
export class RoomsService {
  constructor(
    private readonly rooms: RoomsRepository,
    private readonly memberships: MembershipRepository,
    private readonly users: UsersService,
    private readonly membership: RoomMembership,
    private readonly broadcaster: Broadcaster,
    private readonly rateLimiter: RateLimiter,
  ) {}

  /**
   * Creates the room and tells every participant, or returns the existing
   * direct room of the pair (`created: false`, no broadcast).
   */
  async create(
    callerId: string,
    requested: readonly string[],
    requestedName?: string | null,
  ): Promise<{ room: RoomResponse; created: boolean }> {
    const participantIds = roomParticipants(callerId, requested);
    const name = roomName(participantIds, requestedName);
    await this.rateLimiter.take('rooms', callerId);
    await this.users.requireExisting(participantIds);
    const key = directKey(participantIds);
    const id = newId('room');
    if (!(await this.rooms.insert({ id, name, directKey: key, participantIds }))) {
      // Both people of the pair asked at once, or the room already existed.
      const existingId = (await this.rooms.findDirectRoomId(key!))!;
      return { room: await this.view(existingId), created: false };
    }
    this.membership.remember(id, { version: 0, participantIds, direct: key !== null });
    // Read back like any other room, so every answer has the same shape and order.
    const room = await this.view(id);
    this.broadcaster.roomCreated(room);
    return { room, created: true };
  }

  /**
   * §10: adds people to a group room (those present already are left out)
   * and tells everyone in it after the change, the new people included.
   */
  async addParticipants(
    callerId: string,
    roomId: string,
    requested: readonly string[],
  ): Promise<RoomResponse> {
    await this.rateLimiter.take('rooms', callerId);
    let usersChecked = false;
    return this.membership.write(callerId, roomId, async ({ version, participantIds, direct }) => {
      if (direct) {
        throw ChatError.forbidden('A direct room never changes its participants');
      }
      if (!usersChecked) {
        await this.users.requireExisting(requested);
        usersChecked = true;
      }
      const added = newParticipants(participantIds, requested);
      if (added.length === 0) {
        return this.view(roomId);
      }
      const applied = await this.memberships.add(roomId, version, added);
      if (applied !== true) {
        return applied;
      }
      const after = [...participantIds, ...added];
      this.membership.remember(roomId, { version: version + 1, participantIds: after, direct });
      const room = await this.view(roomId);
      const newcomers = room.participants.filter((p) => added.includes(p.id));
      this.broadcaster.participantsAdded(room, newcomers, callerId, after);
      return room;
    });
  }

  /** §10: the caller leaves a group room; the others and the caller's own sockets hear of it. */
  leave(callerId: string, roomId: string): Promise<RoomResponse> {
    return this.membership.write(callerId, roomId, async ({ version, participantIds, direct }) => {
      if (direct) {
        throw ChatError.forbidden('A direct room never changes its participants');
      }
      const applied = await this.memberships.remove(roomId, version, callerId);
      if (applied !== true) {
        return applied;
      }
      const after = participantIds.filter((id) => id !== callerId);
      this.membership.remember(roomId, { version: version + 1, participantIds: after, direct });
      this.broadcaster.participantLeft(roomId, callerId, [...after, callerId]);
      return this.view(roomId);
    });
  }

  /** Where every room of these users stands now, by user (what a `resync` names). */
  positionsOf(userIds: readonly string[]): Promise<Map<string, RoomPosition[]>> {
    return this.rooms.positionsOf(userIds);
  }

  /**
   * A page of the caller's rooms, most recent activity first, each with the
   * caller's read state; `next` is the cursor of the following page, if any.
   */
  async listForUser(
    callerId: string,
    { limit, after }: { limit: number; after?: string },
  ): Promise<{ rooms: RoomResponse[]; next: string | null }> {
    const cursor = after === undefined ? null : decodeRoomCursor(after);
    const views = await this.rooms.viewsOfUser(callerId, { after: cursor, limit: limit + 1 });
    const page = views.slice(0, limit);
    const last = page.at(-1);
    const next =
      views.length > limit && last ? encodeRoomCursor({ activityAt: last.activityAt, id: last.id }) : null;
    return { rooms: page.map(toRoomResponse), next };
  }

  /** The room with the caller's read state. */
  async getForUser(callerId: string, roomId: string): Promise<RoomResponse> {
    await this.membership.requireParticipant(callerId, roomId);
    return this.view(roomId, callerId);
  }

  private async view(roomId: string, readerId: string | null = null): Promise<RoomResponse> {
    const [room] = await this.rooms.viewsByIds([roomId], readerId);
    return toRoomResponse(room);
  }
}
