import { Injectable } from '@nestjs/common';
import { newId } from '../common/ids.js';
import { Broadcaster } from '../realtime/broadcaster.js';
import { UsersService } from '../users/users.service.js';
import { directKey, roomParticipants } from './participants.js';
import { RoomMembership } from './room-membership.js';
import { toRoomResponse, type RoomResponse } from './room.response.js';
import { RoomsRepository } from './rooms.repository.js';

@Injectable()
export class RoomsService {
  constructor(
    private readonly rooms: RoomsRepository,
    private readonly users: UsersService,
    private readonly membership: RoomMembership,
    private readonly broadcaster: Broadcaster,
  ) {}

  /**
   * Creates the room and tells every participant, or returns the existing
   * direct room of the pair (`created: false`, no broadcast).
   */
  async create(
    callerId: string,
    requested: readonly string[],
  ): Promise<{ room: RoomResponse; created: boolean }> {
    const participantIds = roomParticipants(callerId, requested);
    await this.users.requireExisting(participantIds);
    const key = directKey(participantIds);
    const id = newId('room');
    if (!(await this.rooms.insert({ id, directKey: key, participantIds }))) {
      // Both people of the pair asked at once, or the room already existed.
      const existingId = (await this.rooms.findDirectRoomId(key!))!;
      return { room: await this.view(existingId), created: false };
    }
    this.membership.remember(id, participantIds);
    // Read back like any other room, so every answer has the same shape and order.
    const room = await this.view(id);
    this.broadcaster.roomCreated(room);
    return { room, created: true };
  }

  /** The caller's rooms, most recent activity first, each with the caller's read state. */
  async listForUser(callerId: string): Promise<RoomResponse[]> {
    return (await this.rooms.viewsOfUser(callerId)).map(toRoomResponse);
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
