import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Backplane } from '../redis/backplane.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { Broadcaster } from './broadcaster.js';

/**
 * When this instance's subscription to the other instances' broadcasts
 * broke and is back, its connected sockets may have missed events nobody
 * will send again: each is sent `resync`, naming every room of its user
 * with the room's seq and rev as Postgres has them now. Read after the
 * subscription is back, so every change committed before it is at or below
 * those revs, and every change committed after it arrives live.
 */
@Injectable()
export class ResyncNotifier implements OnApplicationBootstrap {
  private readonly logger = new Logger('Resync');

  constructor(
    private readonly backplane: Backplane,
    private readonly broadcaster: Broadcaster,
    private readonly rooms: RoomsService,
  ) {}

  onApplicationBootstrap(): void {
    this.backplane.onResubscribed(() => void this.resyncAll());
  }

  async resyncAll(): Promise<void> {
    const userIds = this.broadcaster.localUserIds();
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
