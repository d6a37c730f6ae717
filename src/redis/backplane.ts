import { Injectable } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Server } from 'socket.io';
import { RedisConnections } from './redis-connections.js';

export interface BackplaneHealth {
  up: boolean;
  details: Record<string, string>;
}

/**
 * What carries a broadcast from the instance that made it to the sockets of
 * every instance. The mode picks the implementation once (modes.module.ts).
 */
export abstract class Backplane {
  /** For the start-up log. */
  abstract readonly description: string;

  /** Wires the Socket.IO server so its emits reach every instance's sockets. */
  abstract attach(server: Server): void;

  abstract health(): Promise<BackplaneHealth>;

  /**
   * Calls `listener` whenever this instance may have missed broadcasts of
   * the others (its subscription broke and is back); its sockets must then
   * be told to resync. Never, for the in-process backplane.
   */
  abstract onResubscribed(listener: () => void): void;
}

/** No Redis: Socket.IO's in-memory adapter, so one instance only. */
@Injectable()
export class InProcessBackplane extends Backplane {
  readonly description = 'in this process only (no REDIS_URL): run a single instance';

  attach(): void {} // the default adapter already delivers within the process

  onResubscribed(): void {} // nothing between instances to miss

  health(): Promise<BackplaneHealth> {
    return Promise.resolve({ up: true, details: { mode: 'not configured: single instance' } });
  }
}

/** The Socket.IO Redis adapter: every instance publishes and subscribes through Redis. */
@Injectable()
export class RedisBackplane extends Backplane {
  readonly description: string;

  constructor(private readonly redis: RedisConnections) {
    super();
    this.description = `through Redis at ${redis.host}, to every instance`;
  }

  attach(server: Server): void {
    server.adapter(createAdapter(this.redis.pub, this.redis.sub));
  }

  onResubscribed(listener: () => void): void {
    this.redis.onResubscribed(listener);
  }

  /** Up when the command connection answers and the adapter's pub/sub links are connected. */
  async health(): Promise<BackplaneHealth> {
    const links = { pub: this.redis.pub.status, sub: this.redis.sub.status };
    try {
      await this.redis.commands.ping();
    } catch (error) {
      return { up: false, details: { message: (error as Error).message, ...links } };
    }
    return { up: links.pub === 'ready' && links.sub === 'ready', details: links };
  }
}
