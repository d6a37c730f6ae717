import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutageLog } from '../common/outage-log.js';
import { AppConfig } from '../config/app-config.js';
import { PresenceStore, type PresenceChange } from '../presence/presence-store.js';
import { Broadcaster } from '../realtime/broadcaster.js';
import { UsersRepository } from './users.repository.js';

/** The first wait before a failed announcement is tried again; it doubles up to the second. */
const ANNOUNCE_RETRY_MS = 250;
const ANNOUNCE_RETRY_MAX_MS = 4_000;

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
    const superseded = () => this.announcing.get(userId) !== next;
    const next = (this.announcing.get(userId) ?? Promise.resolve()).then(() =>
      this.announce(change, superseded),
    );
    this.announcing.set(userId, next);
    void next.finally(() => {
      if (!superseded()) {
        this.announcing.delete(userId);
      }
    });
  }

  /**
   * Stores the departure, then tells the user's room-mates, unless the user
   * has changed state again meanwhile: a change made on another instance is
   * announced there, and an old one sent after it would undo it for clients.
   *
   * Without Postgres (it stores the departure and knows the room-mates) the
   * change would be lost for good: nothing else announces it. So it is tried
   * again, less and less often, until it goes out, a newer change of the
   * user's here takes over (it announces the state as it is then), or the
   * instance shuts down.
   */
  private async announce(change: PresenceChange, superseded: () => boolean): Promise<void> {
    for (let waitMs = ANNOUNCE_RETRY_MS; ; waitMs = Math.min(2 * waitMs, ANNOUNCE_RETRY_MAX_MS)) {
      try {
        await this.tell(change);
        this.outage.recovered();
        return;
      } catch (error) {
        this.outage.failed(error);
      }
      const { signal } = this.handingOver;
      await sleep(waitMs, undefined, { signal, ref: false }).catch(() => undefined);
      if (signal.aborted || superseded()) {
        return;
      }
    }
  }

  private async tell({ userId, online, at }: PresenceChange): Promise<void> {
    // The latest departure stored, which may be a later one than this (made on another instance).
    const lastSeenAt = online ? null : (await this.users.setLastSeen(userId, at)).toISOString();
    const [roomMates, now] = await Promise.all([
      this.users.roomMateIds(userId),
      this.store.onlineAmong([userId]),
    ]);
    if (now.has(userId) === online) {
      this.broadcaster.presence({ type: 'presence', userId, online, lastSeenAt }, roomMates);
    }
  }
}
