import { SocketCounts } from './socket-counts.js';

/** A user came online (a first socket anywhere) or went offline (the last one anywhere left). */
export interface PresenceChange {
  userId: string;
  online: boolean;
  /** When it happened; for going offline, when the last socket went away (as near as is known). */
  at: Date;
}

/**
 * Who is online, across every instance: Redis, or this process alone. The
 * mode picks the implementation once (modes.module.ts). The store is told of
 * each socket that comes and goes here and reports every change of a user's
 * presence to one listener, the presence service, whether it follows from a
 * socket here or from something the store found itself (a dead instance's
 * users, a Redis that lost its data). Its methods never throw: presence is
 * never a reason to refuse a connection.
 */
export abstract class PresenceStore {
  private listener: (change: PresenceChange) => void = () => undefined;

  /** Set once, by the presence service. */
  onChange(listener: (change: PresenceChange) => void): void {
    this.listener = listener;
  }

  /** A socket of the user connected to this instance. */
  abstract socketConnected(userId: string): void;

  /** A socket of the user on this instance went away. */
  abstract socketDisconnected(userId: string): void;

  /**
   * Counts one more socket of the user against `max` sockets on all
   * instances together (§11): false, counting nothing, when they hold `max`
   * already. Every admitted socket is released once it goes away.
   */
  abstract admit(userId: string, max: number): Promise<boolean>;

  abstract release(userId: string): void;

  /** Which of these users are online, in one look-up. */
  abstract onlineAmong(userIds: readonly string[]): Promise<ReadonlySet<string>>;

  /**
   * This instance is going away: its users that have no socket elsewhere go
   * offline now, not once it is found dead. Resolves once their changes are
   * reported.
   */
  abstract leave(): Promise<void>;

  protected report(change: PresenceChange): void {
    this.listener(change);
  }
}

/** No Redis: this process holds every socket, so its counts are the whole truth. */
export class LocalPresenceStore extends PresenceStore {
  private readonly sockets = new SocketCounts();
  private readonly admitted = new SocketCounts();

  socketConnected(userId: string): void {
    if (this.sockets.add(userId)) {
      this.report({ userId, online: true, at: new Date() });
    }
  }

  socketDisconnected(userId: string): void {
    if (this.sockets.remove(userId)) {
      this.report({ userId, online: false, at: new Date() });
    }
  }

  admit(userId: string, max: number): Promise<boolean> {
    if (this.admitted.count(userId) >= max) {
      return Promise.resolve(false);
    }
    this.admitted.add(userId);
    return Promise.resolve(true);
  }

  release(userId: string): void {
    this.admitted.remove(userId);
  }

  onlineAmong(userIds: readonly string[]): Promise<ReadonlySet<string>> {
    return Promise.resolve(new Set(userIds.filter((id) => this.sockets.has(id))));
  }

  leave(): Promise<void> {
    for (const userId of this.sockets.clear()) {
      this.report({ userId, online: false, at: new Date() });
    }
    return Promise.resolve();
  }
}
