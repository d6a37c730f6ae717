/** Receivers treat `typing: true` as lasting 5 s unless repeated (§7). */
const TYPING_LASTS_MS = 5_000;

/** Who is typing in which room, each until their last `typing: true` runs out. */
export class Typing {
  private readonly until = new Map<string, Map<string, number>>();

  constructor(private readonly onChange: () => void) {}

  set(roomId: string, userId: string, typing: boolean): void {
    const room = this.until.get(roomId) ?? new Map<string, number>();
    this.until.set(roomId, room);
    if (typing) {
      room.set(userId, Date.now() + TYPING_LASTS_MS);
      setTimeout(this.onChange, TYPING_LASTS_MS + 50);
    } else {
      room.delete(userId);
    }
    this.onChange();
  }

  /** The users typing in the room now. */
  in(roomId: string): string[] {
    const now = Date.now();
    return [...(this.until.get(roomId) ?? [])].filter(([, until]) => until > now).map(([userId]) => userId);
  }
}
