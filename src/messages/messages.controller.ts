import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { EditMessageDto } from './dto/change-message.dto.js';
import { ListChangesQuery } from './dto/list-changes.query.js';
import { ListMessagesQuery } from './dto/list-messages.query.js';
import { SendMessageDto } from './dto/send-message.dto.js';
import type { ChangesResponse, MessageResponse } from './message.response.js';
import { MessagesService } from './messages.service.js';

@Controller('rooms/:roomId')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get('messages')
  list(
    @CurrentUser() callerId: string,
    @Param('roomId') roomId: string,
    @Query() query: ListMessagesQuery,
  ): Promise<MessageResponse[]> {
    return this.messages.list(callerId, roomId, query);
  }

  /** 201 when stored now, 200 for an idempotent replay of the same messageId. */
  @Post('messages')
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

  /** §9: only the sender; the same content again changes nothing. */
  @Patch('messages/:messageId')
  edit(
    @CurrentUser() callerId: string,
    @Param('roomId') roomId: string,
    @Param('messageId') messageId: string,
    @Body() dto: EditMessageDto,
  ): Promise<MessageResponse> {
    return this.messages.edit(callerId, roomId, messageId, dto.content);
  }

  /** §9: 200 with the tombstone (the message keeps its seq, its content is gone). */
  @Delete('messages/:messageId')
  delete(
    @CurrentUser() callerId: string,
    @Param('roomId') roomId: string,
    @Param('messageId') messageId: string,
  ): Promise<MessageResponse> {
    return this.messages.delete(callerId, roomId, messageId);
  }

  /** §9: what changed after `since` (new messages, edits, deletes), by `rev`. */
  @Get('changes')
  changes(
    @CurrentUser() callerId: string,
    @Param('roomId') roomId: string,
    @Query() query: ListChangesQuery,
  ): Promise<ChangesResponse> {
    return this.messages.changes(callerId, roomId, query);
  }
}
