import { randomUUID } from 'node:crypto';
import type { ShardedSubscriber } from './cluster-shard-subscribers.js';
import { Adapter, type BroadcastOptions, type Room } from 'socket.io-adapter';
import { withTimeout } from '../common/with-timeout.js';
import { LoneUsers, type Control } from './lone-users.js';
import type { BackplaneCounters } from './backplane-counters.js';

/** A user's sharded channel; the hash tag puts it in the user's own slot of a Redis Cluster. */
export const userShardChannel = (room: Room): string => `chat:{${room}}`;

/**
 * A broadcast to more users than this goes out once, on a wide channel
 * that every instance hears, instead of once per user:
 * Redis work per broadcast stays bounded whatever the room's size. Up to
 * here, per-user channels cost at most this many publishes and reach only
 * the instances that hold those users; past it, one publish is cheaper for
 * the publisher, for Redis and for the receivers (an instance reads one
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
interface Head extends Partial<Control> {
  /** The user rooms (`user:<id>`) it is for; none for a control message (`c`, LoneUsers). */
  u: Room[];
  /**
   * The publisher's count of its broadcasts: the copies of one broadcast
   * (one per user channel) carry the same. Absent from a version without it.
   */
  i?: number;
  except?: Room[];
  /** Disconnect the users' sockets instead (true: close the connection too); no packet follows. */
  d?: boolean;
}

/**
 * A control message's head starts `{"c":`, a broadcast's `{"u":`: the
 * third byte tells an instance's own control messages (which it reads)
 * from its own broadcasts (which it drops unparsed).
 */
const CONTROL_MARK = 'c'.charCodeAt(0);
const NEWLINE = '\n'.charCodeAt(0);

type Publish = (channel: string, message: string) => Promise<unknown>;

export interface ShardedUserAdapterOptions {
  /**
   * Skip Redis for the users only this instance holds (LoneUsers; on one
   * Redis, not on a cluster); `missed` is told of a user whose sockets
   * must resync.
   */
  loneUsers?: {
    /** False: take part in the protocol, publish anyway (a rolling upgrade from a version without it). */
    skip: boolean;
    missed: (room: Room) => void;
    /** SPUBLISH at once, never held for a retry: answers how many subscribers it reached. */
    publishNow: (channel: string, message: string) => Promise<number>;
  };
}

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
 * publish back (for a user another instance also holds, or on its wide
 * channel) and drops it before decoding: a fixed-length prefix names the
 * sender. On one Redis, the events of a user that only this instance
 * holds are not published at all (LoneUsers).
 */
export class ShardedUserAdapter extends Adapter {
  private readonly uid = randomUUID();
  private readonly wideChannel = WIDE_CHANNELS[Math.floor(Math.random() * WIDE_CHANNELS.length)];
  /** Settles once the wide channels are subscribed; a socket's first join waits for it. */
  private readonly wideSubscribed: Promise<unknown>;
  private readonly lone: LoneUsers | null;
  /** Broadcasts received and not delivered yet, by publisher and `i`, in the order they first arrived. */
  private arrived = new Map<unknown, Arrived>();
  /** How many broadcasts this instance has published (`i`). */
  private broadcasts = 0;
  /** A user's first join here while it is under way: the user's next sockets wait for it too. */
  private readonly joining = new Map<Room, Promise<void>>();

  constructor(
    nsp: unknown,
    private readonly publish: Publish,
    private readonly sub: ShardedSubscriber,
    private readonly counters: BackplaneCounters,
    { loneUsers }: ShardedUserAdapterOptions = {},
  ) {
    super(nsp);
    this.lone = loneUsers
      ? new LoneUsers(
          {
            // `c` first: the third byte tells a control message (CONTROL_MARK).
            publish: ({ c, r, n }) => {
              this.counters.redisPublishes++;
              const message = this.uid + JSON.stringify({ c, r, n, u: [] });
              return loneUsers.publishNow(userShardChannel(r), message);
            },
            missed: loneUsers.missed,
          },
          loneUsers.skip,
        )
      : null;
    this.on('delete-room', (room: Room) => {
      if (USER_ROOM.test(room)) {
        this.lone?.release(room);
        this.sub.sunsubscribe(userShardChannel(room)).then(
          () => this.lone?.bye(room),
          () => undefined,
        );
      }
    });
    sub.on('smessageBuffer', (_channel: Buffer, message: Buffer) => this.received(message));
    sub.on('close', () => this.lone?.linkBroken());
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
    const lone = this.lone;
    return Promise.all([...WIDE_CHANNELS, ...this.userChannels()].map((c) => this.sub.ssubscribe(c)))
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => lone && Promise.all(this.userRooms().map((room) => lone.handshake(room))))
      .then(() => undefined);
  }

  /**
   * A user's first socket here subscribes to the user's channel (and, on
   * one Redis, says `here` to the others that hold the user); the join,
   * which the socket's handshake awaits, resolves once Redis confirmed it
   * and the wide channels too, or after JOIN_WAIT_MS: a refusal (Redis
   * away) or a master that is away is left to resubscribe(), whose resync
   * covers what the socket could not hear meanwhile. The user's other
   * sockets that join meanwhile wait for the same.
   */
  override addAll(id: string, rooms: Set<Room>): Promise<void> {
    const users = [...rooms].filter((room) => USER_ROOM.test(room));
    const waits = users.map(
      (room) => this.joining.get(room) ?? (this.rooms.has(room) ? undefined : this.join(room)),
    );
    void super.addAll(id, rooms);
    return Promise.all([this.wideSubscribed, ...waits]).then(() => undefined);
  }

  private join(room: Room): Promise<void> {
    this.lone?.hold(room);
    const subscribed = this.sub.ssubscribe(userShardChannel(room)).then(
      () => undefined,
      () => undefined,
    );
    const lone = this.lone;
    const joined = withTimeout(subscribed, JOIN_WAIT_MS, () => undefined)
      .then(() => lone?.handshake(room))
      .finally(() => this.joining.delete(room));
    this.joining.set(room, joined);
    return joined;
  }

  override broadcast(packet: unknown, opts: BroadcastOptions): void {
    super.broadcast(packet, opts);
    if (!opts.flags?.local) {
      this.send(opts, () => `\n${JSON.stringify(packet)}`);
    }
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
    if (!opts.flags?.local) {
      this.send(opts, () => '', close);
    }
  }

  override close(): Promise<void> {
    this.lone?.close();
    return Promise.all([...this.userChannels(), ...WIDE_CHANNELS].map((c) => this.sub.sunsubscribe(c))).then(
      () => undefined,
    );
  }

  /** The users this instance holds a socket of, and their channels. */
  private userRooms(): Room[] {
    return [...this.rooms.keys()].filter((room) => USER_ROOM.test(room));
  }

  private userChannels(): string[] {
    return this.userRooms().map(userShardChannel);
  }

  private publishOn(room: Room, message: string): Promise<unknown> {
    this.counters.redisPublishes++;
    return this.publish(userShardChannel(room), message);
  }

  /**
   * `encodeBody`: the packet after its newline, or nothing for a disconnect;
   * encoded only once something is published (lone users' events are not).
   */
  private send(opts: BroadcastOptions, encodeBody: () => string, disconnect?: boolean): void {
    const users = [...opts.rooms].filter((room) => USER_ROOM.test(room));
    const except = opts.except?.size ? [...opts.except] : undefined;
    const i = ++this.broadcasts;
    let body: string | undefined;
    const envelope = (u: Room[]) =>
      this.uid + JSON.stringify({ u, i, except, d: disconnect } satisfies Head) + (body ??= encodeBody());
    if (users.length > MAX_USER_PUBLISHES) {
      this.counters.redisPublishes++;
      void this.publish(this.wideChannel, envelope(users));
      return;
    }
    for (const user of users) {
      // Delivered here already, and no other instance holds the user.
      if (!this.lone?.isAlone(user)) {
        void this.publishOn(user, envelope([user]));
      }
    }
  }

  private received(message: Buffer): void {
    this.counters.redisBroadcastsReceived++;
    const from = message.toString('latin1', 0, this.uid.length);
    const ours = from === this.uid;
    const control = message[this.uid.length + 2] === CONTROL_MARK;
    if (ours && !control) {
      return; // our own publish: delivered here already
    }
    // The packet is decoded from bytes only for the first copy that needs it.
    const newline = message.indexOf(NEWLINE, this.uid.length);
    const head = JSON.parse(
      message.toString('utf8', this.uid.length, newline < 0 ? undefined : newline),
    ) as Head;
    if (head.c !== undefined && head.r !== undefined) {
      this.lone?.control({ c: head.c, r: head.r, n: head.n }, from, ours);
      return;
    }
    const rooms = new Set(head.u.filter((room) => this.rooms.has(room)));
    if (rooms.size === 0) {
      return; // a wide broadcast for nobody here, or a user who just left
    }
    if (newline < 0) {
      this.deliverArrived(); // what arrived before the disconnect is delivered before it
      super.disconnectSockets(
        { rooms, except: new Set(head.except), flags: { local: true } },
        head.d === true,
      );
      return;
    }
    // Its other copies (one per user channel) come in the same read from
    // Redis: gathered until the read is handled, the packet is decoded and
    // encoded once for all the users they are for. Only copies of one
    // broadcast are gathered: two events may be the same bytes (typing on,
    // off, on) and each must reach its users, in its turn.
    const key = head.i === undefined ? {} : `${from}${head.i}`;
    const arrived = this.arrived.get(key);
    if (arrived) {
      rooms.forEach((room) => arrived.rooms.add(room));
      return;
    }
    if (this.arrived.size === 0) {
      queueMicrotask(() => this.deliverArrived());
    }
    this.arrived.set(key, { rooms, except: head.except, packet: message.toString('utf8', newline + 1) });
  }

  /** Delivers the broadcasts received since the last call, in the order they first arrived. */
  private deliverArrived(): void {
    const arrived = this.arrived;
    this.arrived = new Map();
    for (const { rooms, except, packet } of arrived.values()) {
      super.broadcast(JSON.parse(packet), { rooms, except: new Set(except), flags: { local: true } });
    }
  }
}

/** A broadcast received, before it is delivered. */
interface Arrived {
  rooms: Set<Room>;
  except?: Room[];
  /** The Socket.IO packet as JSON. */
  packet: string;
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
