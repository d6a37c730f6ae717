import { Body, Controller, Ip, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Public } from '../auth/public.decorator.js';
import { linkNextPage } from '../common/next-page-link.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { ListUsersQuery } from './dto/list-users.query.js';
import { toUserResponse, type UserResponse, type UserWithPresenceResponse } from './user.response.js';
import { UsersService } from './users.service.js';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Public()
  @Post()
  async create(
    @Body() dto: CreateUserDto,
    @Ip() clientAddress: string,
  ): Promise<UserResponse & { token: string }> {
    const { user, token } = await this.users.create(dto, clientAddress);
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
      linkNextPage(request, response, last.id);
    }
    return page.users;
  }

  @Get(':userId')
  get(@Param('userId') userId: string): Promise<UserWithPresenceResponse> {
    return this.users.get(userId);
  }
}
