import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutageLog } from '../common/outage-log.js';
import { AppConfig } from '../config/app-config.js';
import { PresenceStore, type PresenceChange } from '../presence/presence-store.js';
import { Broadcaster } from '../realtime/broadcaster.js';
import { UsersRepository } from './users.repository.js';

/** Between the attempts to announce a change: about 16 s in all. */
const ANNOUNCE_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000];

/**
 * §8: a user is online while any socket of theirs is connected to any
 * instance. The store (Redis or this process, as the mode chose) says when
 * that changes; this service records the departure time and tells everyone
 * who shares a room with the user.
 */
@Injectable()
export class PresenceService implements OnModuleInit {
  private readonly outage = new OutageLog(new Logger(PresenceService.name), 'presence announcements');
  /** Per user, their latest announcement: one user's changes go out in the order they happened here. */
  private readonly announcing = new Map<string, Promise<void>>();
  /** Aborted at shutdown: announcements waiting to be tried again give up. */
  private readonly handingOver = new AbortController();

  constructor(
    private readonly store: PresenceStore,
    private readonly users: UsersRepository,
    private readonly broadcaster: Broadcaster,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.store.onChange((change) => this.enqueue(change));
  }

  /**
   * §11: whether one more socket of the user may connect (at most
   * MAX_SOCKETS_PER_USER on all instances together); asked at the handshake.
   * An admitted socket is counted until socketDisconnected, or release()
   * when it never connects.
   */
  admit(userId: string): Promise<boolean> {
    const max = this.config.maxSocketsPerUser;
    return max === 0 ? Promise.resolve(true) : this.store.admit(userId, max);
  }

  socketConnected(userId: string): void {
    this.store.socketConnected(userId);
  }

  socketDisconnected(userId: string): void {
    this.release(userId);
    this.store.socketDisconnected(userId);
  }

  /** Gives back the place admit() took, for a socket that never connected (or now disconnected). */
  release(userId: string): void {
    if (this.config.maxSocketsPerUser !== 0) {
      this.store.release(userId);
    }
  }

  onlineAmong(userIds: readonly string[]): Promise<ReadonlySet<string>> {
    return this.store.onlineAmong(userIds);
  }

  /**
   * Shutdown, once this instance's sockets are closed: its users with no
   * socket elsewhere go offline now, and their announcements are out
   * (departure stored, event published) before Redis and Postgres close.
   */
  async handOver(): Promise<void> {
    this.handingOver.abort();
    await this.store.leave();
    await Promise.all(this.announcing.values());
  }

  private enqueue(change: PresenceChange): void {
    const { userId } = change;
    const next = (this.announcing.get(userId) ?? Promise.resolve()).then(() => this.announce(change));
    this.announcing.set(userId, next);
    void next.finally(() => {
      if (this.announcing.get(userId) === next) {
        this.announcing.delete(userId);
      }
    });
  }

  /**
   * Stores the departure, then tells the user's room-mates, unless the user
   * has changed state again meanwhile: a change made on another instance is
   * announced there, and an old one sent after it would undo it for clients.
   * Tried again while Postgres or Redis does not answer (nothing else would
   * ever announce this change), until ANNOUNCE_RETRY_DELAYS_MS run out:
   * within §8's 30 s. Not during shutdown, which waits for announcements.
   */
  private async announce(change: PresenceChange): Promise<void> {
    for (const delayMs of [...ANNOUNCE_RETRY_DELAYS_MS, null]) {
      try {
        await this.tell(change);
        this.outage.recovered();
        return;
      } catch (error) {
        this.outage.failed(error);
      }
      if (delayMs === null || this.handingOver.signal.aborted) {
        return;
      }
      await sleep(delayMs, undefined, { signal: this.handingOver.signal, ref: false }).catch(() => undefined);
    }
  }

  private async tell({ userId, online, at }: PresenceChange): Promise<void> {
    if (!online) {
      await this.users.setLastSeen(userId, at);
    }
    const [roomMates, now] = await Promise.all([
      this.users.roomMateIds(userId),
      this.store.onlineAmong([userId]),
    ]);
    if (now.has(userId) === online) {
      const lastSeenAt = online ? null : at.toISOString();
      this.broadcaster.presence({ type: 'presence', userId, online, lastSeenAt }, roomMates);
    }
  }
}
