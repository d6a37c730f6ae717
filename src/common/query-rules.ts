import { Transform } from 'class-transformer';

/** Query strings arrive as text; turn digit strings into numbers for @IsInt. */
export const ToInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value,
  );
