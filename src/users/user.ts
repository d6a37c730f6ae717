/** A person who can chat, as stored. */
export interface User {
  id: string;
  name: string;
  avatar: string | null;
  /** When the user's last socket went away; null if never seen. */
  lastSeenAt: Date | null;
}
