import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { TokenService } from '../auth/token.service.js';
import { ChatError } from '../common/chat-error.js';
import type { CreateUserDto } from './dto/create-user.dto.js';
import type { ListUsersQuery } from './dto/list-users.query.js';
import { User } from './user.entity.js';

export interface UserPage {
  users: User[];
  hasMore: boolean;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly tokens: TokenService,
  ) {}

  async create(dto: CreateUserDto): Promise<{ user: User; token: string }> {
    const user = this.users.create({ id: newUserId(), name: dto.name, avatar: dto.avatar ?? null });
    // A single INSERT (save() would wrap it in a transaction block, which the
    // embedded database's one shared connection cannot isolate).
    await this.users.insert(user);
    return { user, token: this.tokens.issue(user.id) };
  }

  /** Everyone but the caller, by name then id, in keyset pages. */
  async listOthers(callerId: string, query: ListUsersQuery): Promise<UserPage> {
    const select = this.users
      .createQueryBuilder('u')
      .where('u.id <> :callerId', { callerId })
      .orderBy('u.name', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .limit(query.limit + 1);
    if (query.q) {
      select.andWhere(`u.name ILIKE :pattern ESCAPE '\\'`, { pattern: `%${escapeLike(query.q)}%` });
    }
    if (query.after) {
      const cursor = await this.users.findOneBy({ id: query.after });
      if (!cursor) {
        throw ChatError.validation(['after must be the id of an existing user']);
      }
      select.andWhere('(u.name, u.id) > (:name, :id)', { name: cursor.name, id: cursor.id });
    }
    const rows = await select.getMany();
    return { users: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
  }

  /** The users with these ids that exist, in no particular order. */
  findByIds(ids: readonly string[]): Promise<User[]> {
    return this.users.createQueryBuilder('u').where('u.id = ANY(:ids)', { ids }).getMany();
  }
}

function newUserId(): string {
  return `user_${randomUUID().replaceAll('-', '')}`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
