import { ApiProperty } from '@nestjs/swagger';
import type { User } from './user.js';

// Classes so the OpenAPI document reads the shapes the mappers return.

export class UserResponse {
  @ApiProperty({ example: 'user_3f2c9a' })
  id: string;

  @ApiProperty({ example: 'Alice' })
  name: string;

  @ApiProperty({ type: String, nullable: true, example: 'https://example.com/avatar/alice.png' })
  avatar: string | null;
}

/** `POST /users`: the new user and their bearer token, shown only here. */
export class SignUpResponse extends UserResponse {
  @ApiProperty({ description: 'The bearer credential; shown once' })
  token: string;
}

/** A user as listed to others (§8): the seed fields plus presence. */
export class UserWithPresenceResponse extends UserResponse {
  @ApiProperty()
  online: boolean;

  /** When the last socket went away; null while online or if never seen. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
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
