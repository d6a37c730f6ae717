import { Injectable, Logger } from '@nestjs/common';
import { OutageLog } from '../common/outage-log.js';
import { Cooldowns } from '../rate-limit/cooldowns.js';
import { RateLimiter } from '../rate-limit/rate-limiter.js';
import { Broadcaster } from '../realtime/broadcaster.js';
import { RoomMembership } from './room-membership.js';

export interface TypingState {
  roomId: string;
  userId: string;
  typing: boolean;
}

/**
 * Clients repeat `typing: true` every ~3 s and treat it as lasting 5 s (§7);
 * at most one per user and room goes out every 2 s, on every instance.
 */
const TYPING_BROADCAST_INTERVAL_MS = 2_000;

/** §7: who is typing. Ephemeral: nothing is stored. */
@Injectable()
export class TypingService {
  private readonly outage = new OutageLog(new Logger(TypingService.name), 'typing throttle in Redis');

  constructor(
    private readonly membership: RoomMembership,
    private readonly rateLimiter: RateLimiter,
    private readonly cooldowns: Cooldowns,
    private readonly broadcaster: Broadcaster,
  ) {}

  /** Tells the other participants (not the typist's own sockets), unless throttled. */
  async setTyping(callerId: string, roomId: string, typing: boolean): Promise<TypingState> {
    await this.rateLimiter.take('signal', callerId);
    const state = { roomId, userId: callerId, typing };
    // The throttle first, the participants last: those told are the room as
    // it was just before the broadcast, not before a round trip to Redis
    // that a leave or an add could be acknowledged during.
    const broadcast = await this.mayBroadcast(state);
    const participantIds = await this.membership.requireParticipant(callerId, roomId);
    if (broadcast) {
      this.broadcaster.typing(
        state,
        participantIds.filter((id) => id !== callerId),
      );
    }
    return state;
  }

  /**
   * `typing: false` always goes out; `typing: true` at most once per user
   * and room every TYPING_BROADCAST_INTERVAL_MS, on every instance: a
   * `false` in between does not start the window again (§7 counts the
   * `true`s, whatever came between them). Without the shared cooldown store
   * (Redis away) every update goes out: the signal rate limit still bounds
   * them.
   */
  private async mayBroadcast({ roomId, userId, typing }: TypingState): Promise<boolean> {
    if (!typing) {
      return true;
    }
    try {
      const broadcast = await this.cooldowns.start(
        `typing:${roomId}:${userId}`,
        TYPING_BROADCAST_INTERVAL_MS,
      );
      this.outage.recovered();
      return broadcast;
    } catch (error) {
      this.outage.failed(error);
      return true;
    }
  }
}
