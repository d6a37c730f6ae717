import type { User } from './user.js';

export interface UserResponse {
  id: string;
  name: string;
  avatar: string | null;
}

export const toUserResponse = (user: User): UserResponse => ({
  id: user.id,
  name: user.name,
  avatar: user.avatar,
});
