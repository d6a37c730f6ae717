import { randomUUID } from 'node:crypto';
import type { ShardedSubscriber } from './cluster-shard-subscribers.js';
import { Adapter, type BroadcastOptions, type Room } from 'socket.io-adapter';
import { withTimeout } from '../common/with-timeout.js';
import type { BackplaneCounters } from './backplane-counters.js';

/** A user's sharded channel; the hash tag puts it in the user's own slot of a Redis Cluster. */
export const userShardChannel = (room: Room): string => `chat:{${room}}`;

/**
 * A broadcast to more users than this goes out once, on a wide channel
 * that every instance hears, instead of once per user:
 * Redis work per broadcast stays bounded whatever the room's size. Up to
 * here, per-user channels cost at most this many publishes and reach only
 * the instances that hold those users; past it, one publish is cheaper for
 * the publisher, for Redis and for the receivers (an instance decodes one
 * copy per user it holds on their channels, but one wide copy once), and
 * a room that large has members on most instances anyway. Measured with
 * the scaling benchmark (README, Performance).
 */
export const MAX_USER_PUBLISHES = 4;

/**
 * The wide channels, every instance subscribed to all of them. Several, so
 * that on a Redis Cluster the wide traffic spreads over the shards; each
 * instance publishes on one of them (chosen once), which keeps its wide
 * broadcasts in the order it made them.
 */
export const WIDE_CHANNELS = Array.from({ length: 16 }, (_, n) => `chat:wide:{${n}}`);

const USER_ROOM = /^user:/;

/** The longest a socket's handshake waits for its user's channel to be subscribed. */
const JOIN_WAIT_MS = 2_000;

/**
 * What a publish carries after the sender's id: this head as JSON, then a
 * newline (JSON never holds a raw one) and the Socket.IO packet as JSON. A
 * receiver reads the head first and leaves the packet undecoded when none
 * of the users is connected here.
 */
interface Head {
  /** The user rooms (`user:<id>`) it is for. */
  u: Room[];
  except?: Room[];
  /** Disconnect the users' sockets instead (true: close the connection too); no packet follows. */
  d?: boolean;
}

type Publish = (channel: string, message: string) => Promise<unknown>;

/**
 * Socket.IO adapter on sharded pub/sub (Redis 7 SPUBLISH/SSUBSCRIBE). An
 * instance subscribes to the channel of each user it holds a socket of
 * (`chat:{user:<id>}`: the first socket joins `user:<id>`, the last leaves
 * it) and to the wide channels. An emit addressed to users is delivered to
 * this instance's sockets at once, then published on each user's channel
 * when there are at most MAX_USER_PUBLISHES of them, else once on this
 * instance's wide channel, naming the users. So an instance receives the
 * events of its own users and of large rooms, and in a Redis Cluster each
 * user's channel lives on the shard of its slot.
 *
 * The service addresses nothing but `user:` rooms across instances
 * (broadcaster.ts); any other room stays local. An instance hears its own
 * publish back (for a user it also holds, or on its wide channel) and drops
 * it before decoding: a fixed-length prefix names the sender.
 */
export class ShardedUserAdapter extends Adapter {
  private readonly uid = randomUUID();
  private readonly wideChannel = WIDE_CHANNELS[Math.floor(Math.random() * WIDE_CHANNELS.length)];
  /** Settles once the wide channels are subscribed; a socket's first join waits for it. */
  private readonly wideSubscribed: Promise<unknown>;

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
    // A subscription Redis did not confirm is asked for again once it is back (resubscribe()).
    this.wideSubscribed = Promise.all(WIDE_CHANNELS.map((channel) => sub.ssubscribe(channel))).catch(
      () => undefined,
    );
  }

  /**
   * After the subscriber link broke and is back: asks again for every
   * channel this instance needs. The link restores the subscriptions Redis
   * had confirmed, but one asked for while Redis was away (a user's first
   * socket connecting meanwhile) was refused and would stay missing;
   * asking again for one that is there changes nothing.
   */
  resubscribe(): Promise<void> {
    return Promise.all([...WIDE_CHANNELS, ...this.userChannels()].map((c) => this.sub.ssubscribe(c))).then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * A user's first socket here subscribes to the user's channel; the join
   * (which the handshake awaits) resolves once Redis confirmed it and the
   * wide channels too, or after JOIN_WAIT_MS: a refusal (Redis away) or a
   * master that is away is left to resubscribe(), whose resync covers
   * what the socket could not hear meanwhile.
   */
  override addAll(id: string, rooms: Set<Room>): Promise<void> {
    const fresh = [...rooms].filter((room) => USER_ROOM.test(room) && !this.rooms.has(room));
    void super.addAll(id, rooms);
    const subscribed = Promise.all([
      this.wideSubscribed,
      ...fresh.map((room) => this.sub.ssubscribe(userShardChannel(room))),
    ]).then(
      () => undefined,
      () => undefined,
    );
    return withTimeout(subscribed, JOIN_WAIT_MS, () => undefined);
  }

  override broadcast(packet: unknown, opts: BroadcastOptions): void {
    super.broadcast(packet, opts);
    if (!opts.flags?.local) {
      this.send(opts, `\n${JSON.stringify(packet)}`);
    }
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
    if (!opts.flags?.local) {
      this.send(opts, '', close);
    }
  }

  override close(): Promise<void> {
    return Promise.all([...this.userChannels(), ...WIDE_CHANNELS].map((c) => this.sub.sunsubscribe(c))).then(
      () => undefined,
    );
  }

  /** The channels of the users this instance holds a socket of. */
  private userChannels(): string[] {
    return [...this.rooms.keys()].filter((room) => USER_ROOM.test(room)).map(userShardChannel);
  }

  /** `body`: the packet after its newline, or nothing for a disconnect. */
  private send(opts: BroadcastOptions, body: string, disconnect?: boolean): void {
    const users = [...opts.rooms].filter((room) => USER_ROOM.test(room));
    const except = opts.except?.size ? [...opts.except] : undefined;
    const envelope = (u: Room[]) =>
      this.uid + JSON.stringify({ u, except, d: disconnect } satisfies Head) + body;
    if (users.length > MAX_USER_PUBLISHES) {
      this.counters.redisPublishes++;
      void this.publish(this.wideChannel, envelope(users));
      return;
    }
    for (const user of users) {
      this.counters.redisPublishes++;
      void this.publish(userShardChannel(user), envelope([user]));
    }
  }

  private received(message: Buffer): void {
    this.counters.redisBroadcastsReceived++;
    if (message.toString('latin1', 0, this.uid.length) === this.uid) {
      return; // our own publish: delivered here already
    }
    const text = message.toString('utf8', this.uid.length);
    const newline = text.indexOf('\n');
    const head = JSON.parse(newline < 0 ? text : text.slice(0, newline)) as Head;
    const rooms = new Set(head.u.filter((room) => this.rooms.has(room)));
    if (rooms.size === 0) {
      return; // a wide broadcast for nobody here, or a user who just left
    }
    const opts: BroadcastOptions = { rooms, except: new Set(head.except), flags: { local: true } };
    if (newline < 0) {
      super.disconnectSockets(opts, head.d === true);
    } else {
      super.broadcast(JSON.parse(text.slice(newline + 1)), opts);
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
