import { randomUUID } from 'node:crypto';
import type { ShardedSubscriber } from './cluster-shard-subscribers.js';
import { Adapter, type BroadcastOptions, type Room } from 'socket.io-adapter';
import type { BackplaneCounters } from './backplane-counters.js';

/** A user's sharded channel; the hash tag puts it in the user's own slot of a Redis Cluster. */
export const userShardChannel = (room: Room): string => `chat:{${room}}`;

const USER_ROOM = /^user:/;
/** What one SPUBLISH carries: who sent it, then the event for that one user, or a disconnect. */
interface Envelope {
  /** The user channel (`user:<id>`) it is for. */
  r: Room;
  /** A Socket.IO packet to emit, or… */
  p?: unknown;
  /** …disconnect the user's sockets (true: close the connection too). */
  d?: boolean;
  except?: Room[];
}

type Publish = (channel: string, message: string) => Promise<unknown>;

/**
 * Socket.IO adapter on sharded pub/sub (Redis 7 SPUBLISH/SSUBSCRIBE), one
 * channel per user: an instance subscribes to `chat:{user:<id>}` while it
 * holds a socket of that user (the first joins `user:<id>`, the last leaves
 * it), and an emit addressed to users is delivered to this instance's
 * sockets at once and published on each addressed user's channel. Every
 * instance thus receives the events of its own users and nothing else,
 * and in a Redis Cluster each channel lives on the shard of its slot.
 *
 * The service addresses nothing but `user:` rooms across instances
 * (broadcaster.ts); any other room stays local. An instance hears its own
 * publish back only for users it also holds, and drops it before decoding
 * (a fixed-length prefix names the sender).
 */
export class ShardedUserAdapter extends Adapter {
  private readonly uid = randomUUID();

  constructor(
    nsp: unknown,
    private readonly publish: Publish,
    private readonly sub: ShardedSubscriber,
    private readonly counters: BackplaneCounters,
  ) {
    super(nsp);
    this.on('delete-room', (room: Room) => {
      if (USER_ROOM.test(room)) {
        void this.sub.sunsubscribe(userShardChannel(room)).catch(() => undefined);
      }
    });
    sub.on('smessageBuffer', (_channel: Buffer, message: Buffer) => this.received(message));
  }

  /**
   * A user's first socket here subscribes to the user's channel; the join
   * (which the gateway awaits) resolves once Redis confirmed it. Failures
   * are left to ioredis: it subscribes again on reconnect.
   */
  override addAll(id: string, rooms: Set<Room>): Promise<void> {
    const fresh = [...rooms].filter((room) => USER_ROOM.test(room) && !this.rooms.has(room));
    void super.addAll(id, rooms);
    return Promise.all(fresh.map((room) => this.sub.ssubscribe(userShardChannel(room)))).then(
      () => undefined,
      () => undefined,
    );
  }

  override broadcast(packet: unknown, opts: BroadcastOptions): void {
    super.broadcast(packet, opts);
    if (opts.flags?.local) {
      return;
    }
    // The packet is encoded once; each user's envelope only wraps it.
    const encoded = JSON.stringify(packet);
    const except = opts.except?.size ? `,"except":${JSON.stringify([...opts.except])}` : '';
    for (const room of opts.rooms) {
      if (USER_ROOM.test(room)) {
        this.send(`{"r":${JSON.stringify(room)},"p":${encoded}${except}}`, room);
      }
    }
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
    if (!opts.flags?.local) {
      for (const room of opts.rooms) {
        if (USER_ROOM.test(room)) {
          this.send(JSON.stringify({ r: room, d: close } satisfies Envelope), room);
        }
      }
    }
  }

  override close(): Promise<void> {
    const channels = [...this.rooms.keys()].filter((r) => USER_ROOM.test(r)).map(userShardChannel);
    return Promise.all(channels.map((channel) => this.sub.sunsubscribe(channel))).then(() => undefined);
  }

  private send(envelope: string, room: Room): void {
    void this.publish(userShardChannel(room), this.uid + envelope);
  }

  private received(message: Buffer): void {
    this.counters.redisBroadcastsReceived++;
    if (message.toString('latin1', 0, this.uid.length) === this.uid) {
      return; // our own publish: delivered here already
    }
    const envelope = JSON.parse(message.toString('utf8', this.uid.length)) as Envelope;
    const opts: BroadcastOptions = {
      rooms: new Set([envelope.r]),
      except: new Set(envelope.except ?? []),
      flags: { local: true },
    };
    if (envelope.d !== undefined) {
      super.disconnectSockets(opts, envelope.d);
    } else {
      super.broadcast(envelope.p, opts);
    }
  }
}

/** Counts the packets written to this instance's sockets, whatever the adapter. */
export function countDeliveries(adapter: Adapter, counters: BackplaneCounters): void {
  // `apply` is what every local delivery of the in-memory adapter goes through (private in its typings).
  type Apply = (opts: BroadcastOptions, callback: (socket: unknown) => void) => void;
  const target = adapter as unknown as { apply: Apply };
  const apply = target.apply.bind(adapter);
  target.apply = (opts, callback) =>
    apply(opts, (socket) => {
      counters.socketDeliveries++;
      callback(socket);
    });
}
