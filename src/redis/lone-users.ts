import { randomUUID } from 'node:crypto';
import type { Room } from 'socket.io-adapter';

/** How long a join waits for the other instances that hold its user to answer its `here`. */
export const HANDSHAKE_WAIT_MS = 1_000;
/**
 * How long a `here` waits for its last answers (Redis did not take it, an
 * answer was lost, an instance is stalled) before it is said again; twice
 * as long each time after that, up to eight times as long.
 */
const HANDSHAKE_RETRY_MS = 10_000;

/** A control message on a user's channel: `here`, its answer, or `bye`. */
export interface Control {
  c: 'here' | 'answer' | 'bye';
  /** The user room (`user:<id>`) whose channel carries it. */
  r: Room;
  /** Pairs an answer with its `here`. */
  n?: string;
}

/** A user this instance holds a socket of. */
interface Holding {
  /**
   * No other instance holds the user, and any that comes says `here`
   * before its socket is connected: the user's events need not go
   * through Redis at all.
   */
  alone: boolean;
  /** The `here`s of other instances heard on the user's channel so far. */
  heard: number;
}

/** A `here` this instance sent, waiting for Redis's count, its own copy back and the others' answers. */
interface Handshake {
  room: Room;
  holding: Holding;
  heardBefore: number;
  linkBefore: number;
  /** How many subscribers Redis delivered it to, this instance included; unknown until Redis answers. */
  reached?: number;
  echoed: boolean;
  /** The instances (by id) that answered: one answer sent twice counts once. */
  answers: Set<string>;
  /**
   * A socket of the user connected here before every answer came: its
   * catch-up may predate what a lone holder skipped until it heard this.
   */
  late: boolean;
  /** How many `here`s went unanswered before this one. */
  attempt: number;
  /** The join waiting for it, if any. */
  joined?: () => void;
  timers: NodeJS.Timeout[];
}

export interface LoneUsersLinks {
  /**
   * Publishes on the user's channel at once (never held for a retry: a
   * `here` needs Redis's count of the subscribers it reached); rejects
   * when Redis did not take it.
   */
  publish(control: Control): Promise<number>;
  /** The user's sockets here may have missed events: they are told to resync. */
  missed(room: Room): void;
}

/**
 * Knows which users only this instance holds, so that their events skip
 * Redis entirely: no publish, and no copy of it back to this instance.
 *
 * An instance that takes a user's first socket subscribes to the user's
 * channel, then publishes `here` on it, and the socket's handshake waits
 * until every other subscriber answered (Redis's reply says how many
 * there are). An instance that hears `here` stops skipping that user
 * before it answers, so what it skipped was committed before the answer,
 * and so before the new socket's catch-up: nothing is missed.
 *
 * An instance takes itself to be a user's only holder when its own `here`
 * reached exactly one subscriber and came back to it (so that one was
 * itself), and no other `here` arrived meanwhile (a newcomer after it is
 * heard, and answered, later). It stops when its subscriber link breaks
 * (the others may have come meanwhile; resubscribe() says `here` again)
 * and when another `here` arrives. When another holder leaves it says
 * `bye`, and the ones left ask again. On a Redis Cluster a master that
 * lets a slot go drops its subscriptions without a word, so an instance
 * could count a newcomer as itself: LoneUsers is used on one Redis only.
 */
export class LoneUsers {
  private readonly holdings = new Map<Room, Holding>();
  private readonly handshakes = new Map<string, Handshake>();
  private closed = false;
  /** Bumped each time the subscriber link breaks. */
  private link = 0;

  constructor(
    private readonly links: LoneUsersLinks,
    /** False: knows, but publishes anyway (while instances of a version without it still run). */
    private readonly skip = true,
  ) {}

  /** Whether the user's events may skip Redis. */
  isAlone(room: Room): boolean {
    return this.skip && this.holdings.get(room)?.alone === true;
  }

  /** The user's first socket here; its channel is being subscribed. */
  hold(room: Room): void {
    this.holdings.set(room, { alone: false, heard: 0 });
  }

  /** The user's last socket here left. */
  release(room: Room): void {
    this.holdings.delete(room);
  }

  /** Its channel is unsubscribed: whoever still holds the user asks again whether it is alone now. */
  bye(room: Room): void {
    this.links.publish({ c: 'bye', r: room }).catch(() => undefined);
  }

  linkBroken(): void {
    this.link++;
    this.holdings.forEach((holding) => (holding.alone = false));
  }

  /**
   * Says `here` on the user's channel; resolves once every other holder
   * answered, or after HANDSHAKE_WAIT_MS (the user's sockets here are then
   * resynced once the last answer comes).
   */
  handshake(room: Room): Promise<void> {
    return new Promise((joined) => this.sayHere(room, { attempt: 0, late: false, joined }));
  }

  /** Stops every handshake: the instance is shutting down. */
  close(): void {
    this.closed = true;
    [...this.handshakes.keys()].forEach((nonce) => this.end(nonce));
  }

  /**
   * One `here`. Until every holder has answered one, a holder may still be
   * skipping the user: an unanswered `here` is said again, while the user
   * is held here.
   */
  private sayHere(
    room: Room,
    { attempt, late, joined }: { attempt: number; late: boolean; joined?: () => void },
  ): void {
    const holding = this.holdings.get(room);
    if (!holding || this.closed) {
      joined?.();
      return;
    }
    const nonce = randomUUID();
    const handshake: Handshake = {
      room,
      holding,
      heardBefore: holding.heard,
      linkBefore: this.link,
      echoed: false,
      answers: new Set(),
      late,
      attempt,
      joined,
      timers: [setTimeout(() => this.unanswered(nonce), HANDSHAKE_RETRY_MS * 2 ** Math.min(attempt, 3))],
    };
    if (joined) {
      handshake.timers.push(
        setTimeout(() => {
          handshake.late = true;
          joined();
        }, HANDSHAKE_WAIT_MS),
      );
    }
    handshake.timers.forEach((timer) => timer.unref());
    this.handshakes.set(nonce, handshake);
    this.links.publish({ c: 'here', r: room, n: nonce }).then(
      (reached) => {
        handshake.reached = reached;
        this.check(nonce);
      },
      () => undefined, // Redis away: said again once unanswered
    );
  }

  private unanswered(nonce: string): void {
    const handshake = this.end(nonce);
    if (this.holdings.get(handshake.room) === handshake.holding) {
      this.sayHere(handshake.room, { attempt: handshake.attempt + 1, late: handshake.late });
    }
  }

  /** A control message heard on a user's channel, from the instance `from`; `ours` when that is this one. */
  control({ c, r: room, n: nonce = '' }: Control, from: string, ours: boolean): void {
    const handshake = this.handshakes.get(nonce);
    if (c === 'here' && ours && handshake) {
      handshake.echoed = true;
      this.check(nonce);
    } else if (c === 'here' && !ours) {
      const holding = this.holdings.get(room);
      if (holding) {
        holding.alone = false;
        holding.heard++;
      }
      // Answered even without a holding: the sender counted this instance's subscription.
      this.links.publish({ c: 'answer', r: room, n: nonce }).catch(() => undefined);
    } else if (c === 'answer' && !ours && handshake) {
      handshake.answers.add(from);
      this.check(nonce);
    } else if (c === 'bye' && !ours && this.holdings.get(room)?.alone === false) {
      this.sayHere(room, { attempt: 0, late: false });
    }
  }

  private check(nonce: string): void {
    const handshake = this.handshakes.get(nonce);
    if (
      handshake?.reached !== undefined &&
      handshake.echoed &&
      handshake.answers.size >= handshake.reached - 1
    ) {
      this.finish(nonce);
    }
  }

  /** Every other holder answered: it is alone if Redis reached no one else, and nobody else said `here` meanwhile. */
  private finish(nonce: string): void {
    const handshake = this.end(nonce);
    const { holding } = handshake;
    if (
      handshake.reached === 1 &&
      this.holdings.get(handshake.room) === holding &&
      holding.heard === handshake.heardBefore &&
      this.link === handshake.linkBefore
    ) {
      holding.alone = true;
    }
    if (handshake.late) {
      this.links.missed(handshake.room);
    }
  }

  private end(nonce: string): Handshake {
    const handshake = this.handshakes.get(nonce)!;
    this.handshakes.delete(nonce);
    handshake.timers.forEach(clearTimeout);
    handshake.joined?.();
    return handshake;
  }
}
