import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ToInt } from './transforms.js';

/** The most any list answers in one page. */
export const MAX_PAGE_SIZE = 200;

/** `?limit=`: 1–200, `defaultSize` when absent (also the field's initial value). */
export const PageLimit = (defaultSize: number) =>
  applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: defaultSize }),
    IsOptional(),
    ToInt(),
    IsInt(),
    Min(1),
    Max(MAX_PAGE_SIZE),
  );
