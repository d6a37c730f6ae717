import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ListMessagesQuery } from './dto/list-messages.query.js';
import { SendMessageDto } from './dto/send-message.dto.js';
import type { MessageResponse } from './message.response.js';
import { MessagesService } from './messages.service.js';

@Controller('rooms/:roomId/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get()
  list(
    @CurrentUser() callerId: string,
    @Param('roomId') roomId: string,
    @Query() query: ListMessagesQuery,
  ): Promise<MessageResponse[]> {
    return this.messages.list(callerId, roomId, query);
  }

  /** 201 when stored now, 200 for an idempotent replay of the same messageId. */
  @Post()
  @HttpCode(201)
  async send(
    @CurrentUser() callerId: string,
    @Param('roomId') roomId: string,
    @Body() dto: SendMessageDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<MessageResponse> {
    const { message, created } = await this.messages.send(callerId, roomId, dto);
    response.status(created ? 201 : 200);
    return message;
  }
}
