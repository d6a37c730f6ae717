import { Injectable } from '@nestjs/common';
import { TokenService } from '../auth/token.service.js';
import { ChatError } from '../common/chat-error.js';
import { newId } from '../common/ids.js';
import type { CreateUserDto } from './dto/create-user.dto.js';
import type { ListUsersQuery } from './dto/list-users.query.js';
import type { User } from './user.js';
import { UsersRepository } from './users.repository.js';

interface UserPage {
  users: User[];
  hasMore: boolean;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: TokenService,
  ) {}

  async create(dto: CreateUserDto): Promise<{ user: User; token: string }> {
    const user = { id: newId('user'), name: dto.name, avatar: dto.avatar ?? null };
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
    return { users: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
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
