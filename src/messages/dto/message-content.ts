import { applyDecorators } from '@nestjs/common';
import { IsString, MaxLength } from 'class-validator';
import { NotBlank, StorableText } from '../../common/string-rules.js';

/** A message's content, new or edited: not blank, at most 4,000 characters, storable as sent. */
export const MessageContent = () => applyDecorators(IsString(), NotBlank(), MaxLength(4000), StorableText());
