import { applyDecorators } from '@nestjs/common';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsString, Matches } from 'class-validator';
import { ID_PATTERN } from '../../common/string-rules.js';
import { MAX_PARTICIPANTS } from '../participants.js';

/** 1–100 distinct user ids; the rules of the room check the total. */
export const ParticipantIds = () =>
  applyDecorators(
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(MAX_PARTICIPANTS),
    ArrayUnique({ message: 'participants must not repeat a user' }),
    IsString({ each: true }),
    Matches(ID_PATTERN, { each: true, message: 'each value in participants must be a user id' }),
  );
