import type { Message, ReadMarker, Room } from './contract';

export interface RoomState {
  room: Room;
  /** The newest `seq` known in the room. */
  lastSeq: number;
  /** This person's read marker (§6). */
  lastReadSeq: number;
  unread: number;
  /** Every participant's read marker, once the room was opened or someone read. */
  reads: Map<string, number>;
}

/** The room list: one entry per room this person is in, by most recent activity. */
export class Rooms {
  private readonly byId = new Map<string, RoomState>();

  get(roomId: string): RoomState | undefined {
    return this.byId.get(roomId);
  }

  get list(): RoomState[] {
    return [...this.byId.values()].sort((a, b) => activity(b).localeCompare(activity(a)));
  }

  /** GET /rooms after a (re)connect: the server's word on each room, reads learnt so far kept. */
  replace(rooms: Room[], me: string): void {
    const known = new Map(this.byId);
    this.byId.clear();
    for (const room of rooms) {
      this.byId.set(room.id, fromServer(room, known.get(room.id)?.reads));
    }
    for (const state of this.byId.values()) {
      state.reads.set(me, Math.max(state.reads.get(me) ?? 0, state.lastReadSeq));
    }
  }

  /** A room created, changed (participants, name) or fetched one by one. */
  upsert(room: Room, me: string): void {
    const held = this.byId.get(room.id);
    if (!held) {
      this.byId.set(room.id, fromServer(room));
      this.byId.get(room.id)!.reads.set(me, room.lastReadSeq ?? 0);
      return;
    }
    held.room = { ...held.room, participants: room.participants, name: room.name };
    if (room.lastMessage) {
      this.noteMessage(room.lastMessage);
    }
  }

  remove(roomId: string): void {
    this.byId.delete(roomId);
  }

  removeParticipant(roomId: string, userId: string): void {
    const held = this.byId.get(roomId);
    if (held) {
      held.room = { ...held.room, participants: held.room.participants.filter((p) => p.id !== userId) };
      held.reads.delete(userId);
    }
  }

  clear(): void {
    this.byId.clear();
  }

  /** Returns true when the message is newer than any the room had. */
  noteMessage(message: Message): boolean {
    const held = this.byId.get(message.roomId);
    if (!held) {
      return false;
    }
    if (message.seq > held.lastSeq) {
      held.lastSeq = message.seq;
      held.room = { ...held.room, lastMessage: message };
      return true;
    }
    if (held.room.lastMessage?.messageId === message.messageId) {
      held.room = { ...held.room, lastMessage: message };
    }
    return false;
  }

  /** A marker moved (§6): someone's receipt, or this person reading on another device. */
  setRead({ roomId, userId, lastReadSeq }: ReadMarker, me: string): void {
    const held = this.byId.get(roomId);
    if (!held) {
      return;
    }
    held.reads.set(userId, Math.max(held.reads.get(userId) ?? 0, lastReadSeq));
    if (userId === me && lastReadSeq > held.lastReadSeq) {
      held.lastReadSeq = lastReadSeq;
      if (lastReadSeq >= held.lastSeq) {
        held.unread = 0;
      }
    }
  }

  /** Sending moves the sender's marker to the message (§6), without a room_read. */
  readOwn(message: Message): void {
    this.setRead(
      { roomId: message.roomId, userId: message.senderId, lastReadSeq: message.seq },
      message.senderId,
    );
  }
}

function fromServer(room: Room, reads = new Map<string, number>()): RoomState {
  return {
    room,
    lastSeq: room.lastMessage?.seq ?? 0,
    lastReadSeq: room.lastReadSeq ?? 0,
    unread: room.unreadCount ?? 0,
    reads,
  };
}

const activity = (state: RoomState): string => state.room.lastMessage?.createdAt ?? state.room.createdAt;

/** What a room is called: its name (§10), else the other people in it. */
export function roomTitle(room: Room, me: string): string {
  if (room.name) {
    return room.name;
  }
  const others = room.participants.filter((p) => p.id !== me).map((p) => p.name);
  return others.length > 0 ? others.join(', ') : 'Just you';
}

/** A direct room is one of exactly two people, unique per pair; it never changes members. */
export const isGroup = (room: Room): boolean => room.participants.length > 2 || Boolean(room.name);
