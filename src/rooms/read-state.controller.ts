import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ReadDto } from './dto/read.dto.js';
import { ReadStateService } from './read-state.service.js';
import type { ReadMarker } from './room.js';

@Controller('rooms/:roomId')
export class ReadStateController {
  constructor(private readonly readState: ReadStateService) {}

  /** The HTTP twin of `mark_read`. */
  @Post('read')
  @HttpCode(200)
  markRead(
    @CurrentUser() callerId: string,
    @Param('roomId') roomId: string,
    @Body() dto: ReadDto,
  ): Promise<ReadMarker> {
    return this.readState.markRead(callerId, roomId, dto.seq);
  }

  /** Every participant's marker. */
  @Get('reads')
  markers(
    @CurrentUser() callerId: string,
    @Param('roomId') roomId: string,
  ): Promise<Omit<ReadMarker, 'roomId'>[]> {
    return this.readState.markers(callerId, roomId);
  }
}
