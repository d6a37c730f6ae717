import type { Api } from './api';
import type { Participant, User } from './contract';

export interface Presence {
  online: boolean;
  lastSeenAt: string | null;
}

/** The people search (GET /users), names seen anywhere, and who is online (§8). */
export class People {
  list: User[] = [];
  query = '';
  private readonly names = new Map<string, string>();
  private readonly presence = new Map<string, Presence>();
  private latest = 0;

  /** A search; an answer that comes back after a newer search's is dropped. */
  async load(api: Api, query = this.query): Promise<void> {
    this.query = query;
    const call = ++this.latest;
    const q = query.trim() ? `&q=${encodeURIComponent(query.trim())}` : '';
    const users = await api.get<User[]>(`/users?limit=50${q}`);
    if (call !== this.latest) {
      return;
    }
    this.list = users;
    for (const user of users) {
      this.names.set(user.id, user.name);
      this.presence.set(user.id, { online: user.online ?? false, lastSeenAt: user.lastSeenAt ?? null });
    }
  }

  learn(participants: Participant[]): void {
    participants.forEach((p) => this.names.set(p.id, p.name));
  }

  name(userId: string): string {
    return this.names.get(userId) ?? 'Someone';
  }

  setPresence(userId: string, online: boolean, lastSeenAt: string | null): void {
    this.presence.set(userId, { online, lastSeenAt });
  }

  presenceOf(userId: string): Presence | undefined {
    return this.presence.get(userId);
  }
}
