import { Injectable } from '@nestjs/common';
import { TokenService } from '../auth/token.service.js';
import { ChatError } from '../common/chat-error.js';
import { newId } from '../common/ids.js';
import { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { CreateUserDto } from './dto/create-user.dto.js';
import type { ListUsersQuery } from './dto/list-users.query.js';
import { ID_PATTERN } from '../common/string-rules.js';
import { PresenceService } from './presence.service.js';
import type { User } from './user.js';
import { toUserWithPresence, type UserWithPresenceResponse } from './user.response.js';
import { UsersRepository } from './users.repository.js';

interface UserPage {
  users: UserWithPresenceResponse[];
  hasMore: boolean;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: TokenService,
    private readonly presence: PresenceService,
    private readonly rateLimiter: RateLimiter,
  ) {}

  /** Signs a user up; `clientAddress` is held to SIGNUP_LIMIT_PER_MINUTE. */
  async create(dto: CreateUserDto, clientAddress: string): Promise<{ user: User; token: string }> {
    await this.rateLimiter.take('signup', clientAddress);
    const user = { id: newId('user'), name: dto.name, avatar: dto.avatar ?? null, lastSeenAt: null };
    await this.users.insert(user);
    return { user, token: this.tokens.issue(user.id, 0).token }; // a new user's token version is 0
  }

  /** Everyone but the caller, by name then id, in keyset pages. */
  async listOthers(callerId: string, query: ListUsersQuery): Promise<UserPage> {
    const after = query.after === undefined ? undefined : await this.users.findById(query.after);
    if (after === null) {
      throw ChatError.validation(['after must be the id of an existing user']);
    }
    const rows = await this.users.list({
      exceptId: callerId,
      nameContains: query.q || undefined,
      after,
      limit: query.limit + 1,
    });
    const users = await this.withPresence(rows.slice(0, query.limit));
    return { users, hasMore: rows.length > query.limit };
  }

  async get(userId: string): Promise<UserWithPresenceResponse> {
    // Path parameters arrive unchecked: an id no user can have is answered
    // here, before it reaches the database (which refuses NUL bytes, say).
    const user = ID_PATTERN.test(userId) ? await this.users.findById(userId) : null;
    if (!user) {
      throw ChatError.notFound(`User ${userId} does not exist`);
    }
    const [withPresence] = await this.withPresence([user]);
    return withPresence;
  }

  /** Every user's online flag in one look-up, whatever the page size. */
  private async withPresence(users: User[]): Promise<UserWithPresenceResponse[]> {
    const online = await this.presence.onlineAmong(users.map((u) => u.id));
    return users.map((user) => toUserWithPresence(user, online.has(user.id)));
  }

  /** Fails with `not_found` naming every id that is not a user. */
  async requireExisting(ids: readonly string[]): Promise<void> {
    const found = await this.users.findByIds(ids);
    if (found.length !== ids.length) {
      const known = new Set(found.map((u) => u.id));
      const missing = ids.filter((id) => !known.has(id));
      throw ChatError.notFound(`Unknown users: ${missing.join(', ')}`);
    }
  }
}
