import { Injectable } from '@nestjs/common';
import { ChatError } from '../common/chat-error.js';
import { LruCache } from '../common/lru-cache.js';
import { ID_PATTERN } from '../common/string-rules.js';
import {
  MEMBERSHIP_MOVED,
  MembershipRepository,
  type Membership,
  type MembershipMoved,
} from './membership.repository.js';

// Participant ids remembered in all, over every room: about 100 bytes each,
// so ~50 MiB at most, however many rooms of 100 a flood creates.
const MAX_CACHED_PARTICIPANTS = 500_000;
// A write decided again this many times, each time finding the membership
// moved once more, is answered 'unavailable'.
const MAX_WRITE_ATTEMPTS = 5;

/**
 * Who is in which room, exact on every instance although people join and
 * leave through any of them.
 *
 * Each instance keeps the last membership it read of each room, with its
 * version (`rooms.members_version`, bumped by every add and leave under the
 * room's row lock). Nothing tells an instance when that goes stale, and
 * nothing needs to:
 *
 * - A write (a message, an edit, a delete, an add, a leave) is decided on a
 *   remembered membership and carries its version; its statement takes the
 *   room's lock and applies only if the version is still the room's. So the
 *   caller was a participant when the write committed, and the participants
 *   it broadcasts to are exactly those of the room at its commit: a leave
 *   acknowledged before it is excluded, an add acknowledged before it is
 *   included, whichever instances the people are on. A stale version
 *   changes nothing; the caller reads the membership again and decides anew
 *   (`{ fresh: true }`): the one extra round trip a change costs each
 *   instance.
 * - Everything else (history, the change feed, a room, a replay) reads the
 *   membership from Postgres when asked (`requireParticipant`): after a leave
 *   is acknowledged, no instance answers the leaver from memory.
 */
@Injectable()
export class RoomMembership {
  private readonly cache = new LruCache<string, Membership>(
    MAX_CACHED_PARTICIPANTS,
    (membership) => membership.participantIds.length,
  );

  constructor(private readonly memberships: MembershipRepository) {}

  /** Keeps the newer of what is remembered and `membership`. */
  remember(roomId: string, membership: Membership): void {
    const known = this.cache.peek(roomId);
    if (known && known.version > membership.version) {
      return;
    }
    this.cache.set(roomId, membership);
  }

  /**
   * Decides and performs a write as `callerId` until it applies: `write`
   * gets the caller's membership and answers MEMBERSHIP_MOVED when its
   * statement found the room at another version (it changed nothing); it is
   * then decided again on the membership read afresh.
   */
  async write<T>(
    callerId: string,
    roomId: string,
    write: (membership: Membership) => Promise<T | MembershipMoved>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const result = await write(await this.forWrite(callerId, roomId, { fresh: attempt > 1 }));
      if (result !== MEMBERSHIP_MOVED) {
        return result;
      }
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw ChatError.unavailable(`The participants of room ${roomId} keep changing; retry`);
      }
    }
  }

  /**
   * For a write that carries the returned `version` to its statement: the
   * remembered membership when it names the caller. A remembered one that
   * does not (someone added on another instance) and `fresh` read Postgres.
   */
  private async forWrite(callerId: string, roomId: string, { fresh = false } = {}): Promise<Membership> {
    const remembered = fresh ? undefined : this.cache.get(roomId);
    if (remembered?.participantIds.includes(callerId)) {
      return remembered;
    }
    return this.require(callerId, roomId, await this.read(roomId));
  }

  /** The participants of the room as Postgres has them now, after checking the caller is one. */
  async requireParticipant(callerId: string, roomId: string): Promise<readonly string[]> {
    return this.require(callerId, roomId, await this.read(roomId)).participantIds;
  }

  /**
   * Checks the caller against a membership that a statement read along with
   * its own work (one snapshot), and remembers it: `not_found` for no room
   * (null), `forbidden` for someone not in it.
   */
  requireIn(callerId: string, roomId: string, membership: Membership | null): Membership {
    if (membership) {
      this.remember(roomId, membership);
    }
    return this.require(callerId, roomId, membership);
  }

  private require(callerId: string, roomId: string, membership: Membership | null): Membership {
    if (!membership) {
      throw ChatError.notFound(`Room ${roomId} does not exist`);
    }
    if (!membership.participantIds.includes(callerId)) {
      throw ChatError.forbidden(`You are not a participant of room ${roomId}`);
    }
    return membership;
  }

  private async read(roomId: string): Promise<Membership | null> {
    // Path parameters arrive unchecked: an id no room can have is answered
    // here, before it reaches the database (which refuses NUL bytes, say).
    if (!ID_PATTERN.test(roomId)) {
      return null;
    }
    const membership = await this.memberships.read(roomId);
    if (membership) {
      this.remember(roomId, membership);
    }
    return membership;
  }
}
