import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { linkNextPage } from '../common/next-page-link.js';
import { ListRoomsQuery } from './dto/list-rooms.query.js';
import { AddParticipantsDto } from './dto/change-participants.dto.js';
import { CreateRoomDto } from './dto/create-room.dto.js';
import type { RoomResponse } from './room.response.js';
import { RoomsService } from './rooms.service.js';

@Controller('rooms')
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  /** The caller's rooms in pages (§11), most recent activity first; `Link: …; rel="next"` when there is more. */
  @Get()
  async list(
    @CurrentUser() callerId: string,
    @Query() query: ListRoomsQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RoomResponse[]> {
    const { rooms, next } = await this.rooms.listForUser(callerId, query);
    if (next !== null) {
      linkNextPage(request, response, next);
    }
    return rooms;
  }

  @Get(':roomId')
  get(@CurrentUser() callerId: string, @Param('roomId') roomId: string): Promise<RoomResponse> {
    return this.rooms.getForUser(callerId, roomId);
  }

  /** 201 for a new room, 200 when the pair's direct room already existed. */
  @Post()
  @HttpCode(201)
  async create(
    @CurrentUser() callerId: string,
    @Body() dto: CreateRoomDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RoomResponse> {
    const { room, created } = await this.rooms.create(callerId, dto.participants, dto.name);
    response.status(created ? 201 : 200);
    return room;
  }

  /** §10: 200 with the room after the change. */
  @Post(':roomId/participants')
  @HttpCode(200)
  addParticipants(
    @CurrentUser() callerId: string,
    @Param('roomId') roomId: string,
    @Body() dto: AddParticipantsDto,
  ): Promise<RoomResponse> {
    return this.rooms.addParticipants(callerId, roomId, dto.participants);
  }

  /** §10: the caller leaves; 200 with the room after the change. */
  @Delete(':roomId/participants/me')
  leave(@CurrentUser() callerId: string, @Param('roomId') roomId: string): Promise<RoomResponse> {
    return this.rooms.leave(callerId, roomId);
  }
}
