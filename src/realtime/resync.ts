import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Backplane } from '../redis/backplane.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { Broadcaster } from './broadcaster.js';
import { userOfChannel } from './events.js';

/**
 * When this instance's subscription to the other instances' broadcasts
 * broke and is back, its connected sockets may have missed events nobody
 * will send again: each is sent `resync`, naming every room of its user
 * with the room's seq and rev as Postgres has them now. Read after the
 * subscription is back, so every change committed before it is at or below
 * those revs, and every change committed after it arrives live. The same
 * for one user's sockets when another instance that held the user alone
 * answered the `here` of their first socket only after it had connected
 * (LoneUsers).
 */
const GATHER_MS = 100;

@Injectable()
export class ResyncNotifier implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Resync');

  constructor(
    private readonly backplane: Backplane,
    private readonly broadcaster: Broadcaster,
    private readonly rooms: RoomsService,
  ) {}

  /** Users to resync one by one (LoneUsers' late answers), gathered for a moment into one query. */
  private readonly pending = new Set<string>();
  private flush: NodeJS.Timeout | undefined;

  onApplicationBootstrap(): void {
    this.backplane.onMissedBroadcasts((userRooms) =>
      userRooms ? this.resyncSoon(userRooms.map(userOfChannel)) : void this.resync(),
    );
  }

  onApplicationShutdown(): void {
    clearTimeout(this.flush);
  }

  private resyncSoon(userIds: string[]): void {
    userIds.forEach((id) => this.pending.add(id));
    this.flush ??= setTimeout(() => {
      this.flush = undefined;
      const ids = [...this.pending];
      this.pending.clear();
      void this.resync(ids);
    }, GATHER_MS).unref();
  }

  /** Every local user's sockets, or those of `only` (the ones still connected here). */
  async resync(only?: readonly string[]): Promise<void> {
    const local = this.broadcaster.localUserIds();
    const wanted = only && new Set(only);
    const userIds = wanted ? local.filter((id) => wanted.has(id)) : local;
    if (userIds.length === 0) {
      return;
    }
    try {
      const positions = await this.rooms.positionsOf(userIds);
      for (const userId of userIds) {
        this.broadcaster.resync(userId, positions.get(userId) ?? []);
      }
      this.logger.log(`broadcasts may have been missed: told ${userIds.length} user(s) to resync`);
    } catch (error) {
      // Postgres away too: the clients' own reconnect logic is all that is left.
      this.logger.warn(`resync not sent: ${(error as Error).message}`);
    }
  }
}
