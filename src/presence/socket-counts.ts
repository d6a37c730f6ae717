/**
 * How many sockets each user has on this instance. Presence only cares about
 * the first socket and the last one: the others change nothing anywhere.
 */
export class SocketCounts {
  private readonly counts = new Map<string, number>();

  /** Counts a new socket; true when it is the user's first here. */
  add(userId: string): boolean {
    const count = (this.counts.get(userId) ?? 0) + 1;
    this.counts.set(userId, count);
    return count === 1;
  }

  /** Forgets one socket; true when it was the user's last here. A user with none stays at none. */
  remove(userId: string): boolean {
    const count = this.counts.get(userId) ?? 0;
    if (count > 1) {
      this.counts.set(userId, count - 1);
      return false;
    }
    this.counts.delete(userId);
    return count === 1;
  }

  has(userId: string): boolean {
    return this.counts.has(userId);
  }

  count(userId: string): number {
    return this.counts.get(userId) ?? 0;
  }

  /** The users with at least one socket here. */
  users(): string[] {
    return [...this.counts.keys()];
  }

  /** Forgets every socket; answers whose they were. */
  clear(): string[] {
    const users = this.users();
    this.counts.clear();
    return users;
  }
}
