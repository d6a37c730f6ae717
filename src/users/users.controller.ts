import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Public } from '../auth/public.decorator.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { ListUsersQuery } from './dto/list-users.query.js';
import { toUserResponse, type UserResponse, type UserWithPresenceResponse } from './user.response.js';
import { UsersService } from './users.service.js';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Public()
  @Post()
  async create(@Body() dto: CreateUserDto): Promise<UserResponse & { token: string }> {
    const { user, token } = await this.users.create(dto);
    return { ...toUserResponse(user), token };
  }

  @Get()
  async list(
    @CurrentUser() callerId: string,
    @Query() query: ListUsersQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UserWithPresenceResponse[]> {
    const page = await this.users.listOthers(callerId, query);
    const last = page.users.at(-1);
    if (page.hasMore && last) {
      response.setHeader('Link', `<${nextPageUrl(request, last.id)}>; rel="next"`);
    }
    return page.users;
  }

  @Get(':userId')
  get(@Param('userId') userId: string): Promise<UserWithPresenceResponse> {
    return this.users.get(userId);
  }
}

function nextPageUrl(request: Request, after: string): string {
  const url = new URL(request.originalUrl, 'http://placeholder');
  url.searchParams.set('after', after);
  return `${url.pathname}${url.search}`;
}
