import { applyDecorators } from '@nestjs/common';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ToInt } from './transforms.js';

/** The most any list answers in one page. */
export const MAX_PAGE_SIZE = 200;

/** `?limit=`: 1–200; the default is the field's initial value. */
export const PageLimit = () => applyDecorators(IsOptional(), ToInt(), IsInt(), Min(1), Max(MAX_PAGE_SIZE));
