import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ApiErrors } from '../common/error.response.js';
import { ReadDto } from './dto/read.dto.js';
import { ReadStateService } from './read-state.service.js';
import { ParticipantReadResponse, ReadMarkerResponse } from './room.response.js';

@ApiTags('read state')
@ApiBearerAuth()
@Controller('rooms/:roomId')
export class ReadStateController {
  constructor(private readonly readState: ReadStateService) {}

  /** The HTTP twin of `mark_read`. */
  @Post('read')
  @HttpCode(200)
  @ApiOkResponse({ type: ReadMarkerResponse, description: "The caller's marker after the call" })
  @ApiErrors(400, 401, 403, 404, 413, 429, 503)
  markRead(
    @CurrentUser() callerId: string,
    @Param('roomId') roomId: string,
    @Body() dto: ReadDto,
  ): Promise<ReadMarkerResponse> {
    return this.readState.markRead(callerId, roomId, dto.seq);
  }

  /** Every participant's marker. */
  @Get('reads')
  @ApiOkResponse({ type: [ParticipantReadResponse], description: "Every participant's marker, by user id" })
  @ApiErrors(401, 403, 404, 503)
  markers(
    @CurrentUser() callerId: string,
    @Param('roomId') roomId: string,
  ): Promise<ParticipantReadResponse[]> {
    return this.readState.markers(callerId, roomId);
  }
}
