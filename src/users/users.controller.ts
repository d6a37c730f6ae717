import { Body, Controller, Get, Ip, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Public } from '../auth/public.decorator.js';
import { ApiErrors } from '../common/error.response.js';
import { linkNextPage } from '../common/next-page-link.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { ListUsersQuery } from './dto/list-users.query.js';
import { SignUpResponse, toUserResponse, UserWithPresenceResponse } from './user.response.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Public()
  @Post()
  @ApiCreatedResponse({ type: SignUpResponse, description: 'The new user and their token (shown once)' })
  @ApiErrors(400, 413, 429, 503)
  async create(@Body() dto: CreateUserDto, @Ip() clientAddress: string): Promise<SignUpResponse> {
    const { user, token } = await this.users.create(dto, clientAddress);
    return { ...toUserResponse(user), token };
  }

  @Get()
  @ApiBearerAuth()
  @ApiOkResponse({
    type: [UserWithPresenceResponse],
    description: 'Everyone but the caller, by name then id',
    headers: {
      Link: { description: '`<…>; rel="next"` when there is another page', schema: { type: 'string' } },
    },
  })
  @ApiErrors(400, 401, 503)
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
  @ApiBearerAuth()
  @ApiOkResponse({ type: UserWithPresenceResponse })
  @ApiErrors(401, 404, 503)
  get(@Param('userId') userId: string): Promise<UserWithPresenceResponse> {
    return this.users.get(userId);
  }
}
