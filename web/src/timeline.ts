import type { Message } from './contract';

/** `sent`: stored (it has a `seq`); `pending`: waiting for the ack; `failed`: not sent, retry by hand. */
export type SendState = 'sent' | 'pending' | 'failed';

export interface Entry {
  message: Message;
  state: SendState;
  /** Why a failed send failed, for the person. */
  error?: string;
}

export const PAGE_SIZE = 50;

/**
 * One room's messages as this client knows them: stored ones placed by
 * `seq` (the room's one order), each once by `messageId` however many times
 * it arrives (live delivery is at-least-once, catch-up overlaps it), each in
 * its latest state by `rev`; then this person's sends that have no `seq` yet,
 * in the order they were typed.
 */
export class Timeline {
  private readonly byId = new Map<string, Entry>();
  private sorted: Entry[] | null = null;
  /** False once the oldest page has been read. */
  hasOlder = true;
  /** The highest `rev` seen: the change feed continues from here (§9). */
  rev = 0;

  get entries(): Entry[] {
    this.sorted ??= [...this.byId.values()].sort(bySeqThenLocal);
    return this.sorted;
  }

  get(messageId: string): Entry | undefined {
    return this.byId.get(messageId);
  }

  /** The oldest stored message: `?before=` it reads the page above. */
  get oldest(): Message | undefined {
    return this.entries.find((e) => e.state === 'sent')?.message;
  }

  /** The newest stored message: `?after=` it catches up when there is no change feed. */
  get newest(): Message | undefined {
    return this.entries.findLast((e) => e.state === 'sent')?.message;
  }

  /** Whether the stored messages have a hole: a `seq` missing between the oldest and the newest. */
  get hasGap(): boolean {
    const stored = this.entries.filter((e) => e.state === 'sent');
    return stored.length > 0 && stored.at(-1)!.message.seq - stored[0].message.seq + 1 !== stored.length;
  }

  /** Whether some message carries part two's `rev`, so the server has the change feed. */
  get knowsRevs(): boolean {
    return this.rev > 0;
  }

  /**
   * A stored message, from any source. Returns false when it changed nothing
   * (a duplicate, or an older state than the one held).
   */
  upsert(message: Message): boolean {
    if (message.rev !== undefined && message.rev > this.rev) {
      this.rev = message.rev;
    }
    const held = this.byId.get(message.messageId);
    if (held?.state === 'sent' && (message.rev ?? 0) <= (held.message.rev ?? 0)) {
      return false;
    }
    this.byId.set(message.messageId, { message, state: 'sent' });
    this.sorted = null;
    return true;
  }

  /** A page of history (`?before=`), oldest first. */
  addOlder(page: Message[]): void {
    page.forEach((m) => this.upsert(m));
    this.hasOlder = page.length === PAGE_SIZE;
  }

  /** A send of this person's: pending until acknowledged. */
  addLocal(message: Message): void {
    this.byId.set(message.messageId, { message, state: 'pending' });
    this.sorted = null;
  }

  /** A retry or a failure of a local send; a stored message stays stored. */
  setState(messageId: string, state: 'pending' | 'failed', error?: string): void {
    const held = this.byId.get(messageId);
    if (held && held.state !== 'sent') {
      this.byId.set(messageId, { message: held.message, state, error });
      this.sorted = null;
    }
  }

  /** Every local send still waiting: a lost connection means its ack will never come. */
  failPending(error: string): void {
    for (const entry of this.byId.values()) {
      if (entry.state === 'pending') {
        this.setState(entry.message.messageId, 'failed', error);
      }
    }
  }
}

const LOCAL = Number.MAX_SAFE_INTEGER;

function bySeqThenLocal(a: Entry, b: Entry): number {
  const seqA = a.state === 'sent' ? a.message.seq : LOCAL;
  const seqB = b.state === 'sent' ? b.message.seq : LOCAL;
  return seqA - seqB || a.message.createdAt.localeCompare(b.message.createdAt);
}
