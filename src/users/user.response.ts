import type { User } from './user.js';

export interface UserResponse {
  id: string;
  name: string;
  avatar: string | null;
}

/** A user as listed to others (§8): the seed fields plus presence. */
export interface UserWithPresenceResponse extends UserResponse {
  online: boolean;
  /** When the last socket went away; null while online or if never seen. */
  lastSeenAt: string | null;
}

export const toUserResponse = (user: User): UserResponse => ({
  id: user.id,
  name: user.name,
  avatar: user.avatar,
});

export const toUserWithPresence = (user: User, online: boolean): UserWithPresenceResponse => ({
  ...toUserResponse(user),
  online,
  lastSeenAt: online ? null : (user.lastSeenAt?.toISOString() ?? null),
});
