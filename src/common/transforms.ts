import { Transform } from 'class-transformer';

/** Trims strings and leaves anything else for the type check to reject. */
export const Trim = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/**
 * Query strings and environment variables arrive as text: turn an integer
 * written in digits into a number for @IsInt, and leave anything else as it
 * is for the validators to name.
 */
export const ToInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value,
  );
